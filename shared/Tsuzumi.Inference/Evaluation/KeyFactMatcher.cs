using System.Text;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>
/// Decides whether an answer states its key facts. Both sides are normalised the same way: Unicode NFKC (full-width
/// ↔ half-width, compatibility forms), case-folded, and every whitespace character removed, so
/// "ＴＯＫＹＯ  Tower" contains "tokyotower". A question is a hit only when ALL its facts occur; the fraction of facts
/// found is reported beside it.
/// </summary>
public static class KeyFactMatcher
{
    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Upper then lower approximates full case folding (e.g. 'ſ' → 'S' → 's'); .NET has no CaseFold.
        var folded = text.Normalize(NormalizationForm.FormKC).ToUpperInvariant().ToLowerInvariant();
        var builder = new StringBuilder(folded.Length);
        foreach (var character in folded)
        {
            if (!char.IsWhiteSpace(character)) builder.Append(character);
        }
        return builder.ToString();
    }

    /// <summary>Which of <paramref name="keyFacts"/> occur in <paramref name="answer"/>, in order.</summary>
    public static IReadOnlyList<bool> Found(string answer, IReadOnlyList<string> keyFacts)
    {
        var normalisedAnswer = Normalise(answer);
        return keyFacts.Select(fact => normalisedAnswer.Contains(Normalise(fact), StringComparison.Ordinal)).ToArray();
    }

    /// <summary>True when every key fact occurs in the answer.</summary>
    public static bool IsHit(string answer, IReadOnlyList<string> keyFacts) => Found(answer, keyFacts).All(found => found);
}
