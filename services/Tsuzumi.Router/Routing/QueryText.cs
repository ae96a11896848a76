using System.Text;

namespace Tsuzumi.Router.Routing;

/// <summary>The script classes the router tells apart: Japanese needs character n-grams, Latin text has words.</summary>
internal enum ScriptClass
{
    Separator,
    Latin,
    Cjk,
}

/// <summary>Normalisation shared by the lexical and the embedding side, so both see the same text.</summary>
internal static class QueryText
{
    /// <summary>NFKC (full-width Latin and digits become ASCII, half-width kana become full-width) and lower case.</summary>
    public static string Normalize(string text) => text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    public static ScriptClass Classify(char c)
    {
        if (c is >= '\u3040' and <= '\u30ff' // hiragana, katakana (with ー)
            or >= '\u3400' and <= '\u4dbf' // CJK extension A
            or >= '\u4e00' and <= '\u9fff' // CJK unified ideographs
            or >= '\uf900' and <= '\ufaff' // compatibility ideographs
            or '々' or '〆' or 'ヶ')
            return ScriptClass.Cjk;
        return char.IsLetterOrDigit(c) ? ScriptClass.Latin : ScriptClass.Separator;
    }

    public static bool IsKanji(char c) => c is >= '\u3400' and <= '\u4dbf' or >= '\u4e00' and <= '\u9fff' or >= '\uf900' and <= '\ufaff' or '々';

    /// <summary>Share of the letters that are Japanese; decides how much the (English-trained) embedding is trusted.</summary>
    public static double JapaneseShare(ReadOnlySpan<char> normalized)
    {
        int cjk = 0, letters = 0;
        foreach (var c in normalized)
        {
            switch (Classify(c))
            {
                case ScriptClass.Cjk: cjk++; letters++; break;
                case ScriptClass.Latin: letters++; break;
            }
        }
        return letters == 0 ? 0 : (double)cjk / letters;
    }

    /// <summary>
    /// Puts spaces around each Japanese character, as BERT's basic tokenizer does for CJK ideographs: the packaged
    /// MiniLM tokenizer splits on white space only, so an unspaced Japanese sentence would reach the model as one [UNK].
    /// </summary>
    public static string SpaceOutJapanese(string normalized)
    {
        var builder = new StringBuilder(normalized.Length * 2);
        foreach (var c in normalized)
        {
            if (Classify(c) == ScriptClass.Cjk) builder.Append(' ').Append(c).Append(' ');
            else builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>True when the text has at least one letter or digit in any script.</summary>
    public static bool HasContent(string text)
    {
        foreach (var c in text)
        {
            if (Classify(c) != ScriptClass.Separator) return true;
        }
        return false;
    }
}
