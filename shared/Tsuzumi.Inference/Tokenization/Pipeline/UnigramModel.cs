namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>
/// HF <c>tokenizers</c> Unigram: Viterbi over every vocabulary piece that matches at each position, maximising the sum of
/// log-probability scores. A character no piece covers costs (lowest score − 10); consecutive unknowns are fused, then
/// spelled as &lt;0xXX&gt; byte tokens when <c>byte_fallback</c> is on.
/// </summary>
internal sealed class UnigramModel : ITokenModel
{
    private const double UnknownPenalty = 10.0;

    private sealed class TrieNode
    {
        public Dictionary<char, TrieNode>? Children;
        public int Id = -1;
    }

    private readonly string[] _pieces;
    private readonly double[] _scores;
    private readonly Dictionary<string, int> _ids;
    private readonly TrieNode _root = new();
    private readonly int? _unknownId;
    private readonly bool _byteFallback;
    private readonly double _unknownScore;
    private readonly int[] _byteIds;

    /// <param name="unmatchedIds">Pieces never matched in text (special tokens), as SentencePiece treats control symbols.</param>
    public UnigramModel(IReadOnlyList<(string Piece, double Score)> vocabulary, int? unknownId, bool byteFallback, IReadOnlySet<int>? unmatchedIds = null)
    {
        _pieces = vocabulary.Select(entry => entry.Piece).ToArray();
        _scores = vocabulary.Select(entry => entry.Score).ToArray();
        _ids = new Dictionary<string, int>(_pieces.Length, StringComparer.Ordinal);
        for (var id = 0; id < _pieces.Length; id++)
        {
            _ids.TryAdd(_pieces[id], id);
            if (unmatchedIds?.Contains(id) == true) continue;
            var node = _root;
            foreach (var character in _pieces[id])
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(character, out var child)) node.Children[character] = child = new TrieNode();
                node = child;
            }
            if (node.Id < 0) node.Id = id;
        }
        _unknownId = unknownId;
        _byteFallback = byteFallback;
        _unknownScore = (_scores.Length == 0 ? 0 : _scores.Min()) - UnknownPenalty;
        _byteIds = ByteFallback.ByteIds(IdOf);
    }

    public IReadOnlyList<string> Pieces => _pieces;

    public int? IdOf(string piece) => _ids.TryGetValue(piece, out var id) ? id : null;

    public void Tokenize(string piece, List<int> output)
    {
        if (piece.Length == 0) return;
        var n = piece.Length;
        // bestScore[i], bestStart[i], bestId[i]: the best path covering piece[..i] ends with piece[bestStart..i] = bestId.
        var bestScore = new double[n + 1];
        var bestStart = new int[n + 1];
        var bestId = new int[n + 1];
        Array.Fill(bestStart, -1);
        bestStart[0] = 0;

        for (var start = 0; start < n;)
        {
            var charLength = char.IsHighSurrogate(piece[start]) && start + 1 < n ? 2 : 1;
            if (bestStart[start] < 0) { start += charLength; continue; }
            var scoreHere = bestScore[start];
            var coversOneCharacter = false;
            var node = _root;
            for (var end = start; end < n; end++)
            {
                if (node.Children is null || !node.Children.TryGetValue(piece[end], out node)) break;
                if (node.Id < 0) continue;
                var length = end + 1 - start;
                Relax(end + 1, start, node.Id, scoreHere + _scores[node.Id]);
                if (length == charLength) coversOneCharacter = true;
            }
            if (!coversOneCharacter) Relax(start + charLength, start, _unknownId ?? -1, scoreHere + _unknownScore);
            start += charLength;
        }

        void Relax(int end, int start, int id, double score)
        {
            // Strictly better only: the first path found wins ties, as in HF's encode_optimized.
            if (bestStart[end] >= 0 && !(score > bestScore[end])) return;
            bestScore[end] = score;
            bestStart[end] = start;
            bestId[end] = id;
        }

        // Walk back; unknown spans next to each other become one.
        var spans = new List<(int Start, int End, int Id)>();
        for (var end = n; end > 0; end = bestStart[end])
        {
            var span = (Start: bestStart[end], End: end, Id: bestId[end]);
            var isUnknown = span.Id == _unknownId || span.Id < 0;
            if (isUnknown && spans.Count > 0 && (spans[^1].Id == _unknownId || spans[^1].Id < 0))
                spans[^1] = (span.Start, spans[^1].End, spans[^1].Id);
            else spans.Add(span);
        }
        spans.Reverse();

        foreach (var (start, end, id) in spans)
        {
            var text = piece[start..end];
            if (id >= 0 && id != _unknownId) { output.Add(id); continue; }
            if (_byteFallback && ByteFallback.TryAppend(text, _byteIds, output)) continue;
            output.Add(_unknownId ?? throw new InvalidOperationException($"'{text}' is not in the Unigram vocabulary and there is no unk_id."));
        }
    }
}
