using System.Text;

namespace Tsuzumi.Inference.Tokenization;

/// <summary>
/// Turns ids into text one at a time without ever splitting a UTF-8 character: bytes of an unfinished character are held
/// until the token that completes it arrives. <see cref="Flush"/> ends the stream, replacing a dangling partial
/// character with U+FFFD.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly ITokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly char[] _chars = new char[64];
    private bool _nextIsFirst;

    /// <param name="startsText">True when the first id fed begins the text (its SentencePiece leading space is dropped);
    /// false when continuing a prompt, so " world" after "Hello" keeps its space.</param>
    public StreamingDetokenizer(ITokenizer tokenizer, bool skipSpecialTokens = true, bool startsText = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _skipSpecialTokens = skipSpecialTokens;
        _nextIsFirst = startsText;
    }

    /// <summary>
    /// The whole text of <paramref name="ids"/>: the first rendered piece loses its SentencePiece leading space, and a
    /// skipped special token (BOS) does not use that up, so [BOS, ▁Hello] reads "Hello" as SentencePiece and HF decode it.
    /// </summary>
    public static string Decode(ITokenizer tokenizer, IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var stream = new StreamingDetokenizer(tokenizer, skipSpecialTokens, startsText: true);
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(stream.Add(id));
        return text.Append(stream.Flush()).ToString();
    }

    /// <summary>Adds one token; returns the text it completes (possibly empty).</summary>
    public string Add(int id)
    {
        if (_skipSpecialTokens && _tokenizer.IsSpecial(id)) return "";
        var bytes = _tokenizer.TokenBytes(id, _nextIsFirst);
        _nextIsFirst = false;
        return DecodeBytes(bytes, flush: false);
    }

    /// <summary>Ends the stream: any held bytes that never formed a character come out as U+FFFD.</summary>
    public string Flush() => DecodeBytes([], flush: true);

    private string DecodeBytes(byte[] bytes, bool flush)
    {
        // The decoder keeps an incomplete trailing sequence internally until later bytes finish it.
        var text = new StringBuilder();
        var chars = _chars;
        var needed = _utf8.GetCharCount(bytes, flush: false) + 4;
        if (needed > chars.Length) chars = new char[needed];
        var count = _utf8.GetChars(bytes, 0, bytes.Length, chars, 0, flush);
        text.Append(chars, 0, count);
        return text.ToString();
    }
}
