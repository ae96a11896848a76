using System.Text;
using System.Text.RegularExpressions;

namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>A tokenizer.json <c>normalizer</c>: rewrites text before it is split and tokenized.</summary>
internal interface ITextNormalizer
{
    string Normalize(string text);
}

internal sealed class SequenceNormalizer(IReadOnlyList<ITextNormalizer> steps) : ITextNormalizer
{
    public string Normalize(string text)
    {
        foreach (var step in steps) text = step.Normalize(text);
        return text;
    }
}

/// <summary>Prepends a fixed string to non-empty text (Llama-2's ▁ prefix).</summary>
internal sealed class PrependNormalizer(string prefix) : ITextNormalizer
{
    public string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(Regex pattern, string content) : ITextNormalizer
{
    public string Normalize(string text) => pattern.Replace(text, content.Replace("$", "$$", StringComparison.Ordinal));
}

internal sealed class UnicodeFormNormalizer(NormalizationForm form) : ITextNormalizer
{
    public string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);
}

internal sealed class StripNormalizer(bool left, bool right) : ITextNormalizer
{
    public string Normalize(string text) => (left, right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}

internal sealed class LowercaseNormalizer : ITextNormalizer
{
    public string Normalize(string text) => text.ToLowerInvariant();
}
