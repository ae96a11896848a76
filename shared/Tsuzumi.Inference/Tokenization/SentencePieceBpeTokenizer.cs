using System.Text;

namespace Tsuzumi.Inference.Tokenization;

/// <summary>
/// SentencePiece BPE as llama.cpp runs it for GGUF vocabularies with <c>tokenizer.ggml.model = llama</c>
/// (<c>llm_tokenizer_spm</c>): spaces become ▁, a ▁ is prepended, the highest-scoring adjacent pair that is a
/// vocabulary piece is merged until none is left, and whatever never became a piece falls back to &lt;0xXX&gt; byte tokens.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    private const char SpaceMarker = '\u2581';
    private const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeUserDefined = 4, TypeUnused = 5, TypeByte = 6;

    private readonly string[] _tokens;
    private readonly float[] _scores;
    private readonly int[] _types;
    private readonly Dictionary<string, int> _idByPiece;
    private readonly int[] _byteTokenIds = new int[256];
    // Control, unknown and user-defined tokens, longest first: the order llama.cpp partitions raw text in.
    private readonly int[] _specialTokensLongestFirst;
    private readonly HashSet<int> _endOfGeneration;

    public SentencePieceBpeTokenizer(GgufVocabulary vocabulary, string sourceName = "gguf")
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Tokens.Length == 0)
            throw new Formats.ModelFormatException(sourceName, "tokenizer.ggml.tokens", "the vocabulary is empty");
        _tokens = vocabulary.Tokens;
        _scores = vocabulary.Scores ?? new float[_tokens.Length];
        _types = vocabulary.TokenTypes ?? Enumerable.Repeat(TypeNormal, _tokens.Length).ToArray();
        if (_scores.Length != _tokens.Length)
            throw new Formats.ModelFormatException(sourceName, "tokenizer.ggml.scores", $"{_scores.Length} scores for {_tokens.Length} tokens");
        if (_types.Length != _tokens.Length)
            throw new Formats.ModelFormatException(sourceName, "tokenizer.ggml.token_type", $"{_types.Length} token types for {_tokens.Length} tokens");

        _idByPiece = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        // llama.cpp keeps the last id for a duplicated piece; so does the indexer here.
        for (var id = 0; id < _tokens.Length; id++) _idByPiece[_tokens[id]] = id;

        Array.Fill(_byteTokenIds, -1);
        for (var id = 0; id < _tokens.Length; id++)
        {
            if (TryParseByteToken(_tokens[id], out var value)) _byteTokenIds[value] = id;
        }

        _specialTokensLongestFirst = Enumerable.Range(0, _tokens.Length)
            .Where(id => _types[id] is TypeControl or TypeUserDefined or TypeUnknown && _tokens[id].Length > 0)
            .OrderByDescending(id => Encoding.UTF8.GetByteCount(_tokens[id]))
            .ToArray();

        BosId = vocabulary.BosId;
        EosId = vocabulary.EosId;
        AddBos = vocabulary.AddBos;
        AddEos = vocabulary.AddEos;
        AddSpacePrefix = true;
        _endOfGeneration = EndOfGenerationTokens.Collect(_tokens, EosId, id => IsSpecial(id));
    }

    public int VocabularySize => _tokens.Length;
    public int? BosId { get; }
    public int? EosId { get; }
    public bool AddBos { get; }
    public bool AddEos { get; }

    /// <summary><c>tokenizer.ggml.add_space_prefix</c>: true for Llama-family SentencePiece vocabularies.</summary>
    public bool AddSpacePrefix { get; init; }

    public IReadOnlySet<int> EndOfGenerationIds => _endOfGeneration;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>();
        if (addSpecialTokens && AddBos && BosId is { } bos) output.Add(bos);

        // A raw fragment gets the ▁ prefix when it starts the text or follows a special token, as in llama.cpp.
        var previousWasSpecial = true;
        foreach (var fragment in PartitionOnSpecialTokens(text, parseSpecialTokens))
        {
            if (fragment.TokenId is { } specialId)
            {
                output.Add(specialId);
                previousWasSpecial = true;
                continue;
            }
            var raw = AddSpacePrefix && previousWasSpecial ? " " + fragment.Text : fragment.Text;
            EncodeRaw(raw.Replace(' ', SpaceMarker), output);
            previousWasSpecial = false;
        }

        if (addSpecialTokens && AddEos && EosId is { } eos) output.Add(eos);
        return output;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) =>
        StreamingDetokenizer.Decode(this, ids, skipSpecialTokens);

    /// <summary>llama.cpp's <c>token_to_piece</c> with special tokens rendered as their text.</summary>
    public byte[] TokenBytes(int id, bool isFirstToken = false)
    {
        CheckId(id);
        byte[] bytes = _types[id] switch
        {
            TypeByte => TryParseByteToken(_tokens[id], out var value) ? [value] : [],
            TypeNormal => Encoding.UTF8.GetBytes(_tokens[id].Replace(SpaceMarker, ' ')),
            TypeControl or TypeUnknown or TypeUserDefined => Encoding.UTF8.GetBytes(_tokens[id]),
            _ => [],
        };
        return isFirstToken && AddSpacePrefix && bytes.Length > 0 && bytes[0] == (byte)' ' ? bytes[1..] : bytes;
    }

    public string TokenText(int id)
    {
        CheckId(id);
        return _tokens[id];
    }

    public bool IsSpecial(int id) => id >= 0 && id < _types.Length && _types[id] is TypeControl or TypeUnknown or TypeUnused;

    private void CheckId(int id)
    {
        if (id < 0 || id >= _tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_tokens.Length}");
    }

    private readonly record struct Fragment(string Text, int? TokenId);

    /// <summary>
    /// Splits out special-token text, longest token first over the whole text (llama.cpp's <c>tokenizer_st_partition</c>).
    /// User-defined tokens are always recognised; control and unknown ones only when asked.
    /// </summary>
    private List<Fragment> PartitionOnSpecialTokens(string text, bool parseSpecialTokens)
    {
        var fragments = new List<Fragment>();
        if (text.Length == 0) return fragments;
        fragments.Add(new Fragment(text, null));
        foreach (var id in _specialTokensLongestFirst)
        {
            if (!parseSpecialTokens && _types[id] != TypeUserDefined) continue;
            var special = _tokens[id];
            for (var index = 0; index < fragments.Count; index++)
            {
                if (fragments[index].TokenId is not null) continue;
                var raw = fragments[index].Text;
                var at = raw.IndexOf(special, StringComparison.Ordinal);
                if (at < 0) continue;
                var pieces = new List<Fragment>();
                var start = 0;
                for (; at >= 0; at = raw.IndexOf(special, start, StringComparison.Ordinal))
                {
                    if (at > start) pieces.Add(new Fragment(raw[start..at], null));
                    pieces.Add(new Fragment(special, id));
                    start = at + special.Length;
                }
                if (start < raw.Length) pieces.Add(new Fragment(raw[start..], null));
                fragments.RemoveAt(index);
                fragments.InsertRange(index, pieces);
                index += pieces.Count - 1;
            }
        }
        return fragments;
    }

    private struct Symbol
    {
        public int Start;   // offset in the escaped text (UTF-16 units)
        public int Length;  // 0 once merged into its left neighbour
        public int Previous;
        public int Next;
    }

    private readonly record struct Bigram(int Left, int Right, float Score, int Length);

    /// <summary>Ranks bigrams like llama.cpp's priority queue: higher score first, then the leftmost.</summary>
    private sealed class BigramOrder : IComparer<Bigram>
    {
        public static readonly BigramOrder Instance = new();
        public int Compare(Bigram x, Bigram y)
        {
            var byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }

    private void EncodeRaw(string text, List<int> output)
    {
        if (text.Length == 0) return;
        // One symbol per Unicode character (a surrogate pair stays together).
        var symbols = new List<Symbol>();
        for (var offset = 0; offset < text.Length;)
        {
            var length = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
            var index = symbols.Count;
            symbols.Add(new Symbol { Start = offset, Length = length, Previous = index - 1, Next = offset + length == text.Length ? -1 : index + 1 });
            offset += length;
        }

        var queue = new PriorityQueue<Bigram, Bigram>(BigramOrder.Instance);
        var reverseMerge = new Dictionary<string, (int Left, int Right)>(StringComparer.Ordinal);
        void TryAddBigram(int left, int right)
        {
            if (left == -1 || right == -1) return;
            var merged = text.Substring(symbols[left].Start, symbols[left].Length + symbols[right].Length);
            if (!_idByPiece.TryGetValue(merged, out var id)) return;
            var bigram = new Bigram(left, right, _scores[id], merged.Length);
            queue.Enqueue(bigram, bigram);
            reverseMerge[merged] = (left, right);
        }

        for (var i = 1; i < symbols.Count; i++) TryAddBigram(i - 1, i);
        while (queue.TryDequeue(out var bigram, out _))
        {
            var left = symbols[bigram.Left];
            var right = symbols[bigram.Right];
            // Skip pairs made stale by an earlier merge.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length) continue;
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                var following = symbols[right.Next];
                following.Previous = bigram.Left;
                symbols[right.Next] = following;
            }
            symbols[bigram.Left] = left;
            symbols[bigram.Right] = right;
            TryAddBigram(left.Previous, bigram.Left);
            TryAddBigram(bigram.Left, left.Next);
        }

        for (var i = 0; i != -1; i = symbols[i].Next) Resegment(text, symbols, symbols[i], reverseMerge, output);
    }

    private void Resegment(string text, List<Symbol> symbols, Symbol symbol, Dictionary<string, (int Left, int Right)> reverseMerge, List<int> output)
    {
        var piece = text.Substring(symbol.Start, symbol.Length);
        if (_idByPiece.TryGetValue(piece, out var id))
        {
            output.Add(id);
            return;
        }
        if (!reverseMerge.TryGetValue(piece, out var parts))
        {
            foreach (var b in Encoding.UTF8.GetBytes(piece))
            {
                var byteId = _byteTokenIds[b];
                if (byteId < 0) byteId = _idByPiece.GetValueOrDefault(((char)b).ToString(), -1);
                if (byteId < 0) byteId = UnknownIdOrThrow(b);
                output.Add(byteId);
            }
            return;
        }
        Resegment(text, symbols, symbols[parts.Left], reverseMerge, output);
        Resegment(text, symbols, symbols[parts.Right], reverseMerge, output);
    }

    private int UnknownIdOrThrow(byte value)
    {
        var unknown = Array.FindIndex(_types, type => type == TypeUnknown);
        if (unknown >= 0) return unknown;
        throw new InvalidOperationException($"The vocabulary has neither a byte token for 0x{value:X2} nor an unknown token.");
    }

    internal static bool TryParseByteToken(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
