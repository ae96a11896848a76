namespace Tsuzumi.Router.Routing;

/// <summary>
/// The phrases a query asks <em>about</em> rather than uses: quoted spans (「」『』“”‘’ and straight quotes) in a
/// query that asks what a phrase means or where it comes from (意味, 由来, ことわざ, mean, idiom… outside the quotes).
/// In 「猫の手も借りたい」ってどういう意味 or what does 'break a leg' mean, the words inside the quotes are mentioned,
/// not used: 借り or leg does not make the question financial or medical. Quoted words without such a cue are used
/// (上司に「病院に行け」と言われた, a form titled 'travel expense request'). A scan over the characters and a few
/// substring searches, no regular expression: it runs on every query.
/// </summary>
internal static class MentionedPhrase
{
    /// <summary>
    /// Writes the spans (start, end; the quotes excluded) of the quoted phrases of <paramref name="text"/> to
    /// <paramref name="spans"/> and returns how many there are (at most its length). A straight or curly single quote
    /// opens only after a non-letter and before a letter, and closes only after a non-space and before a non-letter, so
    /// the apostrophes of what's, don't or parents' open nothing.
    /// </summary>
    public static int FindQuoted(ReadOnlySpan<char> text, Span<(int Start, int End)> spans)
    {
        var found = 0;
        var i = 0;
        while (i < text.Length && found < spans.Length)
        {
            var close = ClosingQuote(text, i);
            if (close == '\0')
            {
                i++;
                continue;
            }
            var end = FindClose(text, i + 1, text[i], close);
            if (end < 0)
            {
                i++;
                continue;
            }
            if (end > i + 1) spans[found++] = (i + 1, end);
            i = end + 1;
        }
        return found;
    }

    /// <summary>
    /// Writes the span of a Japanese phrase asked about without quotes (阪神の貯金が10ってどういう意味, 心臓に毛が生えてるって
    /// どういう意味) and returns 1, or 0 when there is none: the run from the start of the sentence (or after 。、 or a
    /// space) to って/とは before どういう意味, or to の before 意味/由来/語源. Japanese only: unquoted English
    /// (what does a high A1C number mean) asks about the thing, not the words.
    /// </summary>
    public static int FindUnquotedJapanese(ReadOnlySpan<char> text, Span<(int Start, int End)> spans)
    {
        if (spans.Length == 0) return 0;
        foreach (var cue in UnquotedCues)
        {
            var at = text.IndexOf(cue, StringComparison.Ordinal);
            if (at <= 0) continue;
            var start = text[..at].LastIndexOfAny(SentenceBreaks) + 1;
            while (start < at && text[start] == ' ') start++;
            if (at - start < 2) continue;
            spans[0] = (start, at);
            return 1;
        }
        return 0;
    }

    private static readonly string[] UnquotedCues = ["ってどういう意味", "って どういう意味", "とはどういう意味", "ってどんな意味", "の意味", "の由来", "の語源"];
    private static readonly char[] SentenceBreaks = ['。', '、', ' ', '？', '?', '！', '!', '\n'];

    /// <summary>The quote that closes a phrase opened at <paramref name="i"/>, or '\0' when no phrase opens there.</summary>
    private static char ClosingQuote(ReadOnlySpan<char> text, int i) => text[i] switch
    {
        '「' => '」',
        '『' => '』',
        '“' => '”',
        '"' => '"',
        '\'' or '‘' when (i == 0 || !char.IsLetterOrDigit(text[i - 1])) && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]) => text[i] == '‘' ? '’' : '\'',
        _ => '\0',
    };

    private static int FindClose(ReadOnlySpan<char> text, int from, char open, char close)
    {
        for (var j = from; j < text.Length; j++)
        {
            if (text[j] != close) continue;
            if (open is '\'' or '‘' && (char.IsWhiteSpace(text[j - 1]) || j + 1 < text.Length && char.IsLetterOrDigit(text[j + 1]))) continue;
            return j;
        }
        return -1;
    }

    /// <summary>True when the text outside [<paramref name="start"/>, <paramref name="end"/>) asks what a phrase means or where it comes from.</summary>
    public static bool AsksAbout(ReadOnlySpan<char> text, int start, int end)
    {
        foreach (var cue in JapaneseCues)
        {
            if (OccursOutside(text, cue, start, end, wholeWord: false)) return true;
        }
        foreach (var cue in EnglishCues)
        {
            if (OccursOutside(text, cue, start, end, wholeWord: true)) return true;
        }
        return false;
    }

    private static bool OccursOutside(ReadOnlySpan<char> text, string cue, int start, int end, bool wholeWord)
    {
        var from = 0;
        while (from < text.Length)
        {
            var found = text[from..].IndexOf(cue, StringComparison.Ordinal);
            if (found < 0) return false;
            var at = from + found;
            var after = at + cue.Length;
            var outside = after <= start || at >= end;
            var isWord = !wholeWord || (at == 0 || !char.IsLetter(text[at - 1])) && (after == text.Length || !char.IsLetter(text[after]));
            if (outside && isWord) return true;
            from = at + 1;
        }
        return false;
    }

    // How a question asks about a phrase. Japanese in both spellings the kana readings may leave (ことわざ → コトワザ);
    // English as whole words of the lower-cased query. Not "said": reported speech quotes words it uses.
    private static readonly string[] JapaneseCues = ["意味", "由来", "語源", "ことわざ", "コトワザ", "慣用句", "比喩", "言い回し", "四字熟語", "格言", "英語で"];
    private static readonly string[] EnglishCues = ["mean", "means", "meaning", "meant", "origin", "saying", "idiom", "proverb", "phrase", "expression"];

    /// <summary>Letters and digits of a span, in any script: what a specialist's words must cover most of.</summary>
    public static int Letters(ReadOnlySpan<char> text)
    {
        var letters = 0;
        foreach (var c in text)
        {
            if (QueryText.Classify(c) != ScriptClass.Separator) letters++;
        }
        return letters;
    }
}
