using System.Text.RegularExpressions;

namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>
/// Compiles the regular expressions tokenizer.json carries (written for Oniguruma, which HF tokenizers uses) as .NET regexes.
/// Oniguruma's default (Ruby) syntax makes ^ and $ line anchors, hence Multiline. Possessive quantifiers have no .NET
/// equivalent and are reported as a format error by the caller.
/// </summary>
internal static class OnigurumaPattern
{
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));

    /// <summary>A tokenizer.json pattern object: <c>{"String": "..."}</c> (literal) or <c>{"Regex": "..."}</c>.</summary>
    public static Regex FromPatternObject(string? literal, string? regex) =>
        literal is not null ? Compile(Regex.Escape(literal)) : Compile(regex!);
}
