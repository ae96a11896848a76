namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>
/// HF <c>tokenizers</c> BPE: a piece starts as characters (or byte tokens when <c>byte_fallback</c> is set and a character
/// is not in the vocabulary), then the adjacent pair with the lowest merge rank — leftmost on ties — is merged until no
/// ranked pair remains.
/// </summary>
internal sealed class BpeModel : ITokenModel
{
    private readonly Dictionary<string, int> _ids;
    private readonly string[] _pieces;
    private readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> _merges;
    private readonly int? _unknownId;
    private readonly bool _byteFallback;
    private readonly bool _fuseUnknown;
    private readonly bool _ignoreMerges;
    private readonly int[] _byteIds;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    public BpeModel(Dictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges, string? unknownToken,
        bool byteFallback, bool fuseUnknown, bool ignoreMerges, Func<string, Exception> formatError)
    {
        _ids = vocabulary;
        _pieces = new string[vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1];
        foreach (var (piece, id) in vocabulary) _pieces[id] = piece;
        _merges = new Dictionary<(int, int), (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocabulary.TryGetValue(left, out var leftId) || !vocabulary.TryGetValue(right, out var rightId))
                throw formatError($"merge {rank} ('{left} {right}') uses a piece missing from the vocabulary");
            if (!vocabulary.TryGetValue(left + right, out var mergedId))
                throw formatError($"merge {rank} ('{left} {right}') makes '{left + right}', which is missing from the vocabulary");
            _merges.TryAdd((leftId, rightId), (rank, mergedId));
        }
        _unknownId = unknownToken is not null && vocabulary.TryGetValue(unknownToken, out var unknown) ? unknown : null;
        _byteFallback = byteFallback;
        _fuseUnknown = fuseUnknown;
        _ignoreMerges = ignoreMerges;
        _byteIds = ByteFallback.ByteIds(IdOf);
    }

    public IReadOnlyList<string> Pieces => _pieces;

    public int? IdOf(string piece) => _ids.TryGetValue(piece, out var id) ? id : null;

    public void Tokenize(string piece, List<int> output)
    {
        if (piece.Length == 0) return;
        int[]? cached;
        lock (_cacheLock) _cache.TryGetValue(piece, out cached);
        if (cached is null)
        {
            cached = TokenizeUncached(piece);
            // Long pieces (whole sentences under Llama-2's null pre-tokenizer) are not worth keeping.
            if (piece.Length <= 64) lock (_cacheLock) if (_cache.Count < 100_000) _cache[piece] = cached;
        }
        output.AddRange(cached);
    }

    private int[] TokenizeUncached(string piece)
    {
        if (_ignoreMerges && _ids.TryGetValue(piece, out var whole)) return [whole];

        var symbols = new List<int>();
        var previousUnknown = false;
        for (var i = 0; i < piece.Length;)
        {
            var length = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length ? 2 : 1;
            var character = piece.Substring(i, length);
            i += length;
            if (_ids.TryGetValue(character, out var id))
            {
                symbols.Add(id);
                previousUnknown = false;
            }
            else if (_byteFallback && ByteFallback.TryAppend(character, _byteIds, symbols))
            {
                previousUnknown = false;
            }
            else if (_unknownId is { } unknown)
            {
                if (!(_fuseUnknown && previousUnknown)) symbols.Add(unknown);
                previousUnknown = true;
            }
            else
            {
                throw new InvalidOperationException($"'{character}' is not in the BPE vocabulary and there is no unknown token.");
            }
        }
        return Merge(symbols);
    }

    private readonly record struct Candidate(int Rank, int Left, int LeftId, int Right, int RightId, int Merged);

    private int[] Merge(List<int> ids)
    {
        var count = ids.Count;
        if (count < 2) return ids.ToArray();
        var symbol = ids.ToArray();
        var next = Enumerable.Range(1, count).Select(i => i == count ? -1 : i).ToArray();
        var previous = Enumerable.Range(-1, count).ToArray();
        var alive = Enumerable.Repeat(true, count).ToArray();

        var queue = new PriorityQueue<Candidate, (int Rank, int Left)>();
        void Consider(int left)
        {
            if (left < 0 || next[left] < 0) return;
            var right = next[left];
            if (_merges.TryGetValue((symbol[left], symbol[right]), out var merge))
                queue.Enqueue(new Candidate(merge.Rank, left, symbol[left], right, symbol[right], merge.Merged), (merge.Rank, left));
        }

        for (var i = 0; i < count - 1; i++) Consider(i);
        while (queue.TryDequeue(out var candidate, out _))
        {
            // Stale when either side has changed since the pair was queued.
            if (!alive[candidate.Left] || !alive[candidate.Right] || next[candidate.Left] != candidate.Right
                || symbol[candidate.Left] != candidate.LeftId || symbol[candidate.Right] != candidate.RightId) continue;
            symbol[candidate.Left] = candidate.Merged;
            alive[candidate.Right] = false;
            next[candidate.Left] = next[candidate.Right];
            if (next[candidate.Right] >= 0) previous[next[candidate.Right]] = candidate.Left;
            Consider(previous[candidate.Left]);
            Consider(candidate.Left);
        }

        var result = new List<int>(count);
        for (var i = 0; i >= 0; i = next[i]) result.Add(symbol[i]);
        return result.ToArray();
    }
}
