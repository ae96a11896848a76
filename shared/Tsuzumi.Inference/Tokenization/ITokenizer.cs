namespace Tsuzumi.Inference.Tokenization;

/// <summary>Text ⇄ token ids for one model's vocabulary.</summary>
public interface ITokenizer
{
    int VocabularySize { get; }

    int? BosId { get; }

    int? EosId { get; }

    /// <summary>Ids that end generation (EOS, and e.g. &lt;|eot_id|&gt; or &lt;|im_end|&gt;).</summary>
    IReadOnlySet<int> EndOfGenerationIds { get; }

    /// <summary>Encodes text; with <paramref name="addSpecialTokens"/> the model's BOS/EOS rules apply.</summary>
    /// <param name="parseSpecialTokens">Recognise special-token text such as &lt;|im_start|&gt; inside <paramref name="text"/>.</param>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = false);

    /// <summary>Decodes ids to text; special tokens are dropped when <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);

    /// <summary>The exact bytes one token contributes to decoded text (for streaming without splitting UTF-8).</summary>
    /// <param name="isFirstToken">SentencePiece drops the leading space of the first piece.</param>
    byte[] TokenBytes(int id, bool isFirstToken = false);

    /// <summary>The token's vocabulary string, for diagnostics.</summary>
    string TokenText(int id);

    bool IsSpecial(int id);
}
