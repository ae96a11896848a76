namespace Tsuzumi.Router.Routing;

/// <summary>
/// What the router counts as hiragana and katakana, and how katakana reads as hiragana: one definition for the kana
/// readings (<see cref="KanaReadings"/>) and the lexical terms (<see cref="LexicalTerms"/>), so that both sides treat
/// the same characters alike.
/// </summary>
internal static class Kana
{
    /// <summary>The hiragana block: letters, voicing marks and iteration marks (ゝ ゞ).</summary>
    public static bool IsHiragana(char c) => c is >= '\u3041' and <= '\u309f';

    /// <summary>Katakana letters (ァ … ヺ) and the long-vowel mark ー, which belongs to loanwords.</summary>
    public static bool IsKatakana(char c) => c is >= '\u30a1' and <= '\u30fa' or 'ー';

    public static bool IsKana(char c) => IsHiragana(c) || IsKatakana(c);

    /// <summary>Katakana to hiragana (ア → あ); letters without a hiragana twin (ヷ … ヺ) and ー unchanged.</summary>
    public static char ToHiragana(char c) => c is >= '\u30a1' and <= '\u30f6' ? (char)(c - 0x60) : c;
}
