using System.Collections.Frozen;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// Okapi BM25 over character n-grams and words (see <see cref="LexicalTerms"/>), written here because no maintained
/// .NET library does BM25 over Japanese n-grams without a search engine around it. Each specialist is one document:
/// its description and all its examples, so a query that combines words of two different examples of one domain
/// still adds up. Term rarity (IDF) is counted over single examples, which tells "配当" from "です" far better than
/// four specialist documents could.
/// </summary>
internal sealed class LexicalIndex
{
    private const double K1 = 1.2;
    private const double B = 0.5;

    private readonly FrozenDictionary<ulong, TermEntry> terms;
    private readonly double unknownTermIdf;

    /// <param name="documents">Per specialist, its texts (description and examples), already normalised.</param>
    public LexicalIndex(IReadOnlyList<IReadOnlyList<string>> documents)
    {
        DocumentCount = documents.Count;
        var scratch = new List<LexicalTerm>();
        var termFrequencies = new Dictionary<ulong, double>[documents.Count];
        var textFrequency = new Dictionary<ulong, int>();
        var lengths = new double[documents.Count];
        var textCount = 0;
        for (var document = 0; document < documents.Count; document++)
        {
            termFrequencies[document] = [];
            foreach (var text in documents[document])
            {
                textCount++;
                scratch.Clear();
                LexicalTerms.Extract(text, scratch);
                foreach (var term in scratch)
                {
                    termFrequencies[document][term.Key] = termFrequencies[document].GetValueOrDefault(term.Key) + term.Weight;
                    lengths[document] += term.Weight;
                }
                foreach (var key in scratch.Select(term => term.Key).Distinct()) textFrequency[key] = textFrequency.GetValueOrDefault(key) + 1;
            }
        }
        var averageLength = lengths.Length == 0 ? 1 : Math.Max(1, lengths.Average());
        var entries = new Dictionary<ulong, TermEntry>();
        foreach (var (key, frequency) in textFrequency)
        {
            var postings = new List<Posting>();
            for (var document = 0; document < documents.Count; document++)
            {
                if (!termFrequencies[document].TryGetValue(key, out var tf)) continue;
                var lengthNorm = 1 - B + B * lengths[document] / averageLength;
                postings.Add(new Posting(document, tf * (K1 + 1) / (tf + K1 * lengthNorm)));
            }
            entries[key] = new TermEntry(Idf(textCount, frequency), postings.ToArray());
        }
        terms = entries.ToFrozenDictionary();
        unknownTermIdf = Idf(textCount, 0);
    }

    public int DocumentCount { get; }

    /// <summary>
    /// Writes each document's score in [0, 1] to <paramref name="scores"/>: its BM25 score divided by the most any
    /// document could score for these terms, i.e. how much of the query's information this specialist explains.
    /// Words no specialist knows count in the denominator too (weighted by <paramref name="unknownTermWeight"/>), so a
    /// cooking question scores near zero everywhere; <paramref name="priorEvidence"/> (in IDF units) is added to it.
    /// </summary>
    public void Score(List<LexicalTerm> queryTerms, double unknownTermWeight, double priorEvidence, Span<double> scores) =>
        Score(queryTerms, rival: -1, unknownTermWeight, priorEvidence, scores);

    /// <summary>
    /// Like <see cref="Score(List{LexicalTerm}, double, double, Span{double})"/>, but counts for each document only the
    /// terms that <paramref name="rival"/> does not know: the part of the query another specialist explains on its own.
    /// A question about two domains has such words for its second domain; a question about one domain rarely does,
    /// whatever its second-best score.
    /// </summary>
    public void ScoreBeyond(List<LexicalTerm> queryTerms, int rival, double unknownTermWeight, double priorEvidence, Span<double> scores) =>
        Score(queryTerms, rival, unknownTermWeight, priorEvidence, scores);

    private void Score(List<LexicalTerm> queryTerms, int rival, double unknownTermWeight, double priorEvidence, Span<double> scores)
    {
        scores.Clear();
        var attainable = 0.0;
        for (var i = 0; i < queryTerms.Count; i++)
        {
            var term = queryTerms[i];
            if (IsRepeat(queryTerms, i)) continue;
            if (!terms.TryGetValue(term.Key, out var entry))
            {
                attainable += unknownTermWeight * unknownTermIdf * term.Weight * (K1 + 1);
                continue;
            }
            attainable += entry.Idf * term.Weight * (K1 + 1);
            if (rival >= 0 && Lists(entry.Postings, rival)) continue;
            foreach (var posting in entry.Postings) scores[posting.Document] += entry.Idf * term.Weight * posting.Saturation;
        }
        // The prior keeps a query with one or two known words (the rest unknown to every specialist) from looking
        // fully explained by a single shared word: evidence has to add up.
        var denominator = attainable + priorEvidence * (K1 + 1);
        if (denominator <= 0) return;
        for (var document = 0; document < scores.Length; document++) scores[document] = Math.Clamp(scores[document] / denominator, 0, 1);
    }

    // A loop, not Array.Exists: a lambda capturing the rival would allocate on every scoring call of the hot path.
    private static bool Lists(Posting[] postings, int document)
    {
        foreach (var posting in postings)
        {
            if (posting.Document == document) return true;
        }
        return false;
    }

    // Query terms are few (tens), so a backwards scan beats a hash set allocated per query.
    private static bool IsRepeat(List<LexicalTerm> queryTerms, int index)
    {
        var key = queryTerms[index].Key;
        for (var j = 0; j < index; j++)
        {
            if (queryTerms[j].Key == key) return true;
        }
        return false;
    }

    private static double Idf(int texts, int containing) => Math.Log(1 + (texts - containing + 0.5) / (containing + 0.5));

    private readonly record struct Posting(int Document, double Saturation);

    private sealed record TermEntry(double Idf, Posting[] Postings);
}
