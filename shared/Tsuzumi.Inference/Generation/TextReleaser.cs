using System.Text;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Generation;

/// <summary>
/// Turns token bytes into text that is safe to release: whole UTF-8 characters only, and never the start of
/// what might become a stop string.
/// </summary>
internal sealed class TextReleaser(ITokenizer tokenizer, IReadOnlyList<string> stopStrings)
{
    // Special tokens other than the end ones are shown as their text; the first generated piece starts the text.
    private readonly StreamingDetokenizer detokenizer = new(tokenizer, skipSpecialTokens: false, startsText: true);
    private readonly StringBuilder pending = new();

    public string Add(int id, out bool stopped)
    {
        pending.Append(detokenizer.Add(id));

        var current = pending.ToString();
        foreach (var stop in stopStrings)
        {
            var at = stop.Length == 0 ? -1 : current.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                stopped = true;
                pending.Clear();
                return current[..at];
            }
        }
        stopped = false;
        var hold = stopStrings.Select(stop => LongestSuffixThatStarts(current, stop)).DefaultIfEmpty(0).Max();
        var release = current[..^hold];
        pending.Remove(0, release.Length);
        return release;
    }

    public string Flush()
    {
        pending.Append(detokenizer.Flush());
        var rest = pending.ToString();
        pending.Clear();
        return rest;
    }

    private static int LongestSuffixThatStarts(string text, string stop)
    {
        for (var length = Math.Min(text.Length, stop.Length - 1); length > 0; length--)
        {
            if (string.CompareOrdinal(text, text.Length - length, stop, 0, length) == 0) return length;
        }
        return 0;
    }
}
