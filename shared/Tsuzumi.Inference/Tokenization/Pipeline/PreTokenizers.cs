using System.Text;
using System.Text.RegularExpressions;

namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>One piece of pre-tokenized text; <paramref name="StartsText"/> marks the piece at offset 0.</summary>
internal readonly record struct PreToken(string Text, bool StartsText);

/// <summary>A tokenizer.json <c>pre_tokenizer</c>: splits normalized text into pieces the model tokenizes one by one.</summary>
internal interface IPreTokenizer
{
    List<PreToken> Split(List<PreToken> pieces);
}

internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> steps) : IPreTokenizer
{
    public List<PreToken> Split(List<PreToken> pieces)
    {
        foreach (var step in steps) pieces = step.Split(pieces);
        return pieces;
    }
}

/// <summary>Splits on regex matches (or their complement when inverted) and places the matches as the behaviour says.</summary>
internal sealed class RegexSplitPreTokenizer(Regex pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public List<PreToken> Split(List<PreToken> pieces)
    {
        var result = new List<PreToken>();
        foreach (var piece in pieces)
        {
            var spans = new List<(int Start, int Length, bool IsMatch)>();
            var position = 0;
            foreach (Match match in pattern.Matches(piece.Text))
            {
                if (match.Length == 0) continue;
                if (match.Index > position) spans.Add((position, match.Index - position, invert));
                spans.Add((match.Index, match.Length, !invert));
                position = match.Index + match.Length;
            }
            if (position < piece.Text.Length) spans.Add((position, piece.Text.Length - position, invert));
            Place(piece, spans, behavior, result);
        }
        return SurrogateSafe.Rejoin(result);
    }

    /// <summary>HF's <c>SplitDelimiterBehavior</c>, including how runs of consecutive matches are merged.</summary>
    internal static void Place(PreToken piece, List<(int Start, int Length, bool IsMatch)> spans, SplitBehavior behavior, List<PreToken> result)
    {
        var parts = new List<(int Start, int End)>();
        var previousWasMatch = false;
        foreach (var (start, length, isMatch) in spans)
        {
            var end = start + length;
            var extendLast = parts.Count > 0 && behavior switch
            {
                SplitBehavior.MergedWithPrevious => isMatch && !previousWasMatch,
                SplitBehavior.MergedWithNext => previousWasMatch,
                SplitBehavior.Contiguous => isMatch && previousWasMatch,
                _ => false,
            };
            if (behavior == SplitBehavior.Removed && isMatch) { }
            else if (extendLast) parts[^1] = (parts[^1].Start, end);
            else parts.Add((start, end));
            previousWasMatch = isMatch;
        }
        foreach (var (start, end) in parts)
        {
            if (end > start) result.Add(new PreToken(piece.Text[start..end], piece.StartsText && start == 0));
        }
    }
}

/// <summary>SentencePiece-style: spaces become ▁, a ▁ is prepended by scheme, and optionally each ▁ starts a new piece.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : IPreTokenizer
{
    public List<PreToken> Split(List<PreToken> pieces)
    {
        var result = new List<PreToken>();
        foreach (var piece in pieces)
        {
            var text = piece.Text.Replace(' ', replacement);
            var prepend = prependScheme switch
            {
                "always" => true,
                "first" => piece.StartsText,
                _ => false,
            };
            if (prepend && !text.StartsWith(replacement)) text = replacement + text;
            if (!split)
            {
                result.Add(piece with { Text = text });
                continue;
            }
            var spans = new List<(int Start, int Length, bool IsMatch)>();
            for (int i = 0, runStart = 0; i <= text.Length; i++)
            {
                if (i < text.Length && text[i] != replacement) continue;
                if (i > runStart) spans.Add((runStart, i - runStart, false));
                if (i < text.Length) spans.Add((i, 1, true));
                runStart = i + 1;
            }
            RegexSplitPreTokenizer.Place(piece with { Text = text }, spans, SplitBehavior.MergedWithNext, result);
        }
        return result;
    }
}

/// <summary>GPT-2 byte-level: optional leading space, the GPT-2 word regex, then every UTF-8 byte as a printable character.</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private static readonly RegexSplitPreTokenizer Gpt2Split = new(OnigurumaPattern.Compile(Gpt2Pattern), SplitBehavior.Isolated, invert: false);

    public List<PreToken> Split(List<PreToken> pieces)
    {
        if (addPrefixSpace)
            pieces = pieces.Select(piece => piece.StartsText && !piece.Text.StartsWith(' ') ? piece with { Text = " " + piece.Text } : piece).ToList();
        if (useRegex) pieces = SurrogateSafe.Rejoin(Gpt2Split.Split(pieces));
        return pieces.Select(piece => piece with { Text = ByteLevelAlphabet.Encode(piece.Text) }).ToList();
    }
}

/// <summary>Maps each piece to byte-level characters without splitting (used after a regex Split, as Llama-3 and Qwen2 do).</summary>
internal static class SurrogateSafe
{
    /// <summary>.NET regexes see UTF-16 units; a split must never leave half a surrogate pair in a piece.</summary>
    public static List<PreToken> Rejoin(List<PreToken> pieces)
    {
        for (var i = 0; i + 1 < pieces.Count; i++)
        {
            if (pieces[i].Text.Length > 0 && char.IsHighSurrogate(pieces[i].Text[^1]) && char.IsLowSurrogate(pieces[i + 1].Text[0]))
            {
                pieces[i] = pieces[i] with { Text = pieces[i].Text + pieces[i + 1].Text[0] };
                var rest = pieces[i + 1].Text[1..];
                if (rest.Length == 0) pieces.RemoveAt(i + 1);
                else pieces[i + 1] = pieces[i + 1] with { Text = rest };
            }
        }
        return pieces;
    }
}

internal sealed class WhitespaceSplitPreTokenizer : IPreTokenizer
{
    public List<PreToken> Split(List<PreToken> pieces)
    {
        var result = new List<PreToken>();
        foreach (var piece in pieces)
        {
            var start = -1;
            for (var i = 0; i <= piece.Text.Length; i++)
            {
                var isSpace = i == piece.Text.Length || char.IsWhiteSpace(piece.Text[i]);
                if (isSpace && start >= 0)
                {
                    result.Add(new PreToken(piece.Text[start..i], piece.StartsText && start == 0));
                    start = -1;
                }
                else if (!isSpace && start < 0) start = i;
            }
        }
        return result;
    }
}

/// <summary>Separates digits from the rest: each digit alone, or runs of digits together.</summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : IPreTokenizer
{
    private static readonly Regex Digit = new(@"\p{Nd}", RegexOptions.CultureInvariant);

    public List<PreToken> Split(List<PreToken> pieces) =>
        new RegexSplitPreTokenizer(Digit, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, invert: false).Split(pieces);
}
