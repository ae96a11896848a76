using System.Collections.Frozen;
using System.Text;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// Reads kana as the kanji the catalog is written in: かぶってどうやってかうの → 株ってどうやってかうの. People type
/// domain words in kana (casually, on a phone, or when unsure of the kanji), and the lexical side counts kanji and
/// katakana only, so a kana-only question would otherwise score nothing. The table (KanaReadings.tsv) holds the
/// reading of every kanji noun in the catalog's descriptions and examples, generated with a morphological
/// dictionary by tools/kana-readings; both the catalog and the query are rewritten, so they meet either way. It is the
/// one place where kana spellings are unified: the catalog's kana-only nouns are written in katakana there
/// (ぱすわーど → パスワード, やけど → ヤケド), so hiragana and katakana spellings of them give the same terms.
/// </summary>
internal static class KanaReadings
{
    // Per first kana, the readings that start with it, longest first (しんだん before しん…).
    private static readonly FrozenDictionary<char, (string Reading, string Written)[]> ByFirstKana = Load();

    /// <summary>Count of readings in the table.</summary>
    public static int Count { get; } = ByFirstKana.Values.Sum(entries => entries.Length);

    /// <summary>
    /// Replaces each kana word found in the table by its written form, longest match first, scanning left to right;
    /// katakana is matched as hiragana (カブ = かぶ). Returns <paramref name="normalized"/> itself when nothing matched.
    /// </summary>
    public static string Rewrite(string normalized)
    {
        StringBuilder? rewritten = null;
        var copiedUpTo = 0;
        var i = 0;
        while (i < normalized.Length)
        {
            var matched = Kana.IsKana(normalized[i]) && ByFirstKana.TryGetValue(Kana.ToHiragana(normalized[i]), out var entries)
                ? Match(normalized.AsSpan(i), entries, StartsKanaWord(normalized, i, copiedUpTo))
                : null;
            if (matched is null)
            {
                i++;
                continue;
            }
            rewritten ??= new StringBuilder(normalized.Length);
            rewritten.Append(normalized, copiedUpTo, i - copiedUpTo).Append(matched.Value.Written);
            i += matched.Value.Reading.Length;
            copiedUpTo = i;
        }
        if (rewritten is null) return normalized;
        return rewritten.Append(normalized, copiedUpTo, normalized.Length - copiedUpTo).ToString();
    }

    private static (string Reading, string Written)? Match(ReadOnlySpan<char> text, (string Reading, string Written)[] entries, bool wordStart)
    {
        foreach (var entry in entries)
        {
            if (entry.Reading.Length > text.Length || !wordStart && IsLatin(entry.Written)) continue;
            var equal = true;
            for (var j = 0; j < entry.Reading.Length && equal; j++) equal = Kana.IsKana(text[j]) && Kana.ToHiragana(text[j]) == entry.Reading[j];
            if (equal) return entry;
        }
        return null;
    }

    /// <summary>
    /// Whether a kana word may start at <paramref name="i"/>: readings of Latin-letter terms are matched only there,
    /// since いでこ also sits inside しないでこれ and 急いでこっち, りーと inside エリート. Katakana starts a word after
    /// anything but katakana; hiragana after anything but kana or kanji (after kanji it may be a verb's ending: 急いで),
    /// or after a one-letter particle that follows a word (私はいでこ, 会社でにーさ, イデコとにーさ).
    /// </summary>
    private static bool StartsKanaWord(string text, int i, int previousReadingEnd)
    {
        if (i == 0 || i == previousReadingEnd) return true;
        var before = text[i - 1];
        if (Kana.IsKatakana(text[i])) return !Kana.IsKatakana(before);
        if (!Kana.IsKana(before) && !QueryText.IsKanji(before)) return true;
        return Particles.Contains(before) && (i - 1 == previousReadingEnd || i == 1 || !Kana.IsKana(text[i - 2]));
    }

    private const string Particles = "はがをにのでともへや";

    private static bool IsLatin(string written) => char.IsAsciiLetterLower(written[0]);

    private static FrozenDictionary<char, (string Reading, string Written)[]> Load()
    {
        using var stream = typeof(KanaReadings).Assembly.GetManifestResourceStream("Tsuzumi.Router.Routing.KanaReadings.tsv")
            ?? throw new InvalidOperationException("KanaReadings.tsv is not embedded in the router assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var entries = new List<(string Reading, string Written)>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split('\t');
            if (parts.Length != 2 || parts[0].Length < 2) throw new InvalidDataException($"KanaReadings.tsv: bad line '{line}'");
            entries.Add((parts[0], parts[1]));
        }
        return entries.GroupBy(entry => entry.Reading[0])
            .ToFrozenDictionary(group => group.Key, group => group.OrderByDescending(entry => entry.Reading.Length).ToArray());
    }
}
