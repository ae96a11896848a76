namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>One tokenizer.json <c>added_tokens</c> entry.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LeftStrip, bool RightStrip);

/// <summary>
/// Cuts added tokens out of raw text before normalization, leftmost match first and the longest token at a position
/// (HF's leftmost-longest). Special tokens are matched only when asked; lstrip/rstrip absorb adjacent whitespace.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens) =>
        _byFirstChar = tokens.Where(token => token.Content.Length > 0)
            .GroupBy(token => token.Content[0])
            .ToDictionary(group => group.Key, group => group.OrderByDescending(token => token.Content.Length).ToArray());

    public readonly record struct Segment(string Text, int? TokenId);

    public List<Segment> Split(string text, bool includeSpecial)
    {
        var segments = new List<Segment>();
        var rawStart = 0;
        for (var position = 0; position < text.Length;)
        {
            var match = MatchAt(text, position, includeSpecial);
            if (match is null) { position++; continue; }
            var (start, end) = (position, position + match.Content.Length);
            if (match.LeftStrip) while (start > rawStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (match.RightStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > rawStart) segments.Add(new Segment(text[rawStart..start], null));
            segments.Add(new Segment(match.Content, match.Id));
            position = rawStart = end;
        }
        if (rawStart < text.Length) segments.Add(new Segment(text[rawStart..], null));
        return segments;
    }

    private AddedToken? MatchAt(string text, int position, bool includeSpecial)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates)) return null;
        foreach (var token in candidates)
        {
            if (token.Special && !includeSpecial) continue;
            if (string.CompareOrdinal(text, position, token.Content, 0, token.Content.Length) != 0) continue;
            if (token.Content.Length > text.Length - position) continue;
            if (token.SingleWord && !IsWordBoundary(text, position, position + token.Content.Length)) continue;
            return token;
        }
        return null;
    }

    private static bool IsWordBoundary(string text, int start, int end) =>
        (start == 0 || !char.IsLetterOrDigit(text[start - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end]));
}
