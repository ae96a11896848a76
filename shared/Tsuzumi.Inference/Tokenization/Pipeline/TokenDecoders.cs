using System.Text;
using System.Text.RegularExpressions;

namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>
/// What one token contributes while a tokenizer.json <c>decoder</c> chain runs: text, or raw bytes once a byte decoder
/// (ByteFallback, ByteLevel) has turned it into bytes that need not be whole UTF-8 characters.
/// </summary>
internal sealed class DecodingPiece
{
    public string? Text;
    public byte[]? Bytes;

    public byte[] ToBytes() => Bytes ?? Encoding.UTF8.GetBytes(Text ?? "");
}

/// <summary>
/// One decoder step, applied to a single token so that streaming can decode token by token. HF applies most steps per
/// token anyway; after <c>Fuse</c> the tokens form one string, so steps anchored at its start (Strip, ^-patterns) touch
/// only the first token (<paramref name="isFirst"/>).
/// </summary>
internal interface ITokenDecoder
{
    void Decode(DecodingPiece piece, bool isFirst, ref bool fused);
}

internal sealed class SequenceDecoder(IReadOnlyList<ITokenDecoder> steps) : ITokenDecoder
{
    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused)
    {
        foreach (var step in steps) step.Decode(piece, isFirst, ref fused);
    }
}

/// <summary>&lt;0xXX&gt; tokens become their byte.</summary>
internal sealed class ByteFallbackDecoder : ITokenDecoder
{
    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused)
    {
        if (piece.Text is { } text && SentencePieceBpeTokenizer.TryParseByteToken(text, out var value))
        {
            piece.Bytes = [value];
            piece.Text = null;
        }
    }
}

/// <summary>Byte-level characters back to bytes; a token with a character outside the alphabet passes as its UTF-8.</summary>
internal sealed class ByteLevelDecoder : ITokenDecoder
{
    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused)
    {
        if (piece.Text is not { } text) return;
        piece.Bytes = ByteLevelAlphabet.TryDecode(text) ?? Encoding.UTF8.GetBytes(text);
        piece.Text = null;
    }
}

/// <summary>Joins all tokens into one string; later steps then see the text as a whole.</summary>
internal sealed class FuseDecoder : ITokenDecoder
{
    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused) => fused = true;
}

internal sealed class ReplaceDecoder(Regex pattern, string content) : ITokenDecoder
{
    private readonly string _replacement = content.Replace("$", "$$", StringComparison.Ordinal);

    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused)
    {
        if (piece.Text is not { } text) return;
        if (!fused || isFirst)
        {
            piece.Text = pattern.Replace(text, _replacement);
            return;
        }
        // Mid-text after Fuse: a sentinel in front keeps ^ and look-behinds from treating the token as the text's start.
        piece.Text = pattern.Replace("\u0001" + text, _replacement, -1, 1)[1..];
    }
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of a character.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : ITokenDecoder
{
    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused)
    {
        if (piece.Text is not { } text) return;
        var from = 0;
        if (!fused || isFirst)
            while (from < start && from < text.Length && text[from] == content) from++;
        var to = text.Length;
        // After Fuse the end of the text is unknown while streaming; trailing strips apply per token only before it.
        if (!fused)
            while (text.Length - to < stop && to > from && text[to - 1] == content) to--;
        piece.Text = text[from..to];
    }
}

/// <summary>▁ back to spaces; the first token loses its ▁ when a prefix was added at encode time.</summary>
internal sealed class MetaspaceDecoder(char replacement, bool prefixWasAdded) : ITokenDecoder
{
    public void Decode(DecodingPiece piece, bool isFirst, ref bool fused)
    {
        if (piece.Text is not { } text) return;
        // As HF does: in the first token every ▁ is dropped when a prefix was added, elsewhere each becomes a space.
        piece.Text = isFirst && prefixWasAdded ? text.Replace(replacement.ToString(), "", StringComparison.Ordinal) : text.Replace(replacement, ' ');
    }
}
