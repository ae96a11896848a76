using System.Text;

namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>
/// The HF <c>tokenizers</c> pipeline: added tokens are cut out of the raw text, the rest is normalized, pre-tokenized and
/// run through the model; the post-processor adds BOS/EOS. Decoding runs the decoder chain token by token.
/// </summary>
public sealed class PipelineTokenizer : ITokenizer
{
    private readonly ITokenModel _model;
    private readonly ITextNormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly ITokenDecoder? _decoder;
    private readonly AddedTokenMatcher _addedTokens;
    private readonly string[] _pieces;
    private readonly bool[] _special;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;
    private readonly HashSet<int> _endOfGeneration;

    internal PipelineTokenizer(ITokenModel model, ITextNormalizer? normalizer, IPreTokenizer? preTokenizer, ITokenDecoder? decoder,
        IReadOnlyList<AddedToken> addedTokens, int[] prefixIds, int[] suffixIds, int? bosId, int? eosId)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _decoder = decoder;
        _addedTokens = new AddedTokenMatcher(addedTokens);
        var size = Math.Max(model.Pieces.Count, addedTokens.Count == 0 ? 0 : addedTokens.Max(token => token.Id) + 1);
        _pieces = new string[size];
        _special = new bool[size];
        for (var id = 0; id < model.Pieces.Count; id++) _pieces[id] = model.Pieces[id] ?? "";
        foreach (var token in addedTokens)
        {
            _pieces[token.Id] = token.Content;
            _special[token.Id] = token.Special;
        }
        for (var id = 0; id < size; id++) _pieces[id] ??= "";
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;
        BosId = bosId;
        EosId = eosId;
        _endOfGeneration = EndOfGenerationTokens.Collect(_pieces, eosId, IsSpecial);
    }

    public int VocabularySize => _pieces.Length;
    public int? BosId { get; }
    public int? EosId { get; }
    public IReadOnlySet<int> EndOfGenerationIds => _endOfGeneration;

    /// <summary>The chat template text from tokenizer_config.json, when there was one.</summary>
    public string? ChatTemplateText { get; init; }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>();
        if (addSpecialTokens) output.AddRange(_prefixIds);
        var segments = _addedTokens.Split(text, parseSpecialTokens);
        for (var index = 0; index < segments.Count; index++)
        {
            if (segments[index].TokenId is { } addedId)
            {
                output.Add(addedId);
                continue;
            }
            var normalized = _normalizer?.Normalize(segments[index].Text) ?? segments[index].Text;
            List<PreToken> pieces = [new PreToken(normalized, StartsText: index == 0)];
            if (_preTokenizer is not null) pieces = _preTokenizer.Split(pieces);
            foreach (var piece in pieces) _model.Tokenize(piece.Text, output);
        }
        if (addSpecialTokens) output.AddRange(_suffixIds);
        return output;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) =>
        StreamingDetokenizer.Decode(this, ids, skipSpecialTokens);

    public byte[] TokenBytes(int id, bool isFirstToken = false)
    {
        CheckId(id);
        if (_decoder is null)
            return Encoding.UTF8.GetBytes(isFirstToken ? _pieces[id] : " " + _pieces[id]);
        var piece = new DecodingPiece { Text = _pieces[id] };
        var fused = false;
        _decoder.Decode(piece, isFirstToken, ref fused);
        return piece.ToBytes();
    }

    public string TokenText(int id)
    {
        CheckId(id);
        return _pieces[id];
    }

    public bool IsSpecial(int id) => id >= 0 && id < _special.Length && _special[id];

    /// <summary>The id of a piece or added token, by its exact text.</summary>
    public int? IdOf(string piece)
    {
        for (var id = _model.Pieces.Count; id < _pieces.Length; id++)
            if (_pieces[id] == piece) return id;
        return _model.IdOf(piece) ?? Array.IndexOf(_pieces, piece) switch { < 0 => null, var found => found };
    }

    private void CheckId(int id)
    {
        if (id < 0 || id >= _pieces.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_pieces.Length}");
    }
}
