using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Nano.Tokenization;

/// <summary>How many tokens a tokenizer spends per character: pure byte fallback costs 3 per Japanese character.</summary>
public static class TokenizerStatistics
{
    /// <summary>Text containing hiragana or katakana is Japanese (kanji alone could be Chinese).</summary>
    public static bool IsJapanese(string text) => text.Any(c => c is >= '\u3040' and <= '\u30FF');

    /// <summary>Tokens (without BOS) divided by UTF-16 characters, over all texts; 0 when there is no text.</summary>
    public static double TokensPerCharacter(ITokenizer tokenizer, IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        long tokens = 0, characters = 0;
        foreach (var text in texts)
        {
            tokens += tokenizer.Encode(text, addSpecialTokens: false).Count;
            characters += text.Length;
        }
        return characters == 0 ? 0 : (double)tokens / characters;
    }
}
