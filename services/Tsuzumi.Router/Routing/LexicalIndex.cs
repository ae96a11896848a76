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
        var count = queryTerms.Count;
        Span<bool> repeats = count <= 256 ? stackalloc bool[count] : new bool[count];
        MarkRepeats(queryTerms, repeats);
        var attainable = 0.0;
        for (var i = 0; i < count; i++)
        {
            var term = queryTerms[i];
            if (repeats[i]) continue;
            var entry = Entry(term);
            attainable += AttainableWeight(term, entry, unknownTermWeight);
            if (entry is null) continue;
            if (rival >= 0 && SaturationIn(entry.Postings, rival) > 0) continue;
            foreach (var posting in entry.Postings) scores[posting.Document] += entry.Idf * term.Weight * posting.Saturation;
        }
        // The prior keeps a query with one or two known words (the rest unknown to every specialist) from looking
        // fully explained by a single shared word: evidence has to add up.
        var denominator = attainable + priorEvidence * (K1 + 1);
        if (denominator <= 0) return;
        for (var document = 0; document < scores.Length; document++) scores[document] = Math.Clamp(scores[document] / denominator, 0, 1);
    }

    /// <summary>
    /// The part of <paramref name="document"/>'s score (on the scale of <see cref="Score(List{LexicalTerm}, double, double, Span{double})"/>)
    /// that rests on one shared word: non-zero only when its strongest word (a run of the query its known terms cover:
    /// one English word, or one stretch of Japanese) outweighs all its other words together by
    /// 1 / <paramref name="loneWordShare"/>, and <paramref name="context"/> (the fallback) explains the query outside that
    /// word better than the document does, and at least <paramref name="contextShare"/> of that word's weight. "interest
    /// in learning guitar" rests on interest for finance while general explains guitar; "NISA 上限" or "ｲﾝﾌﾙ" has
    /// nothing outside its word that the fallback knows, so it keeps its full score.
    /// </summary>
    public double LoneWordScore(List<LexicalTerm> queryTerms, int document, int context, double unknownTermWeight, double priorEvidence, double loneWordShare, double contextShare)
    {
        // One pass finds the document's words and the query's attainable weight, and keeps each term's evidence for the
        // context; the second only sums that evidence outside the strongest word. Repeats count once, as in Score.
        var count = queryTerms.Count;
        Span<double> contextEvidence = count <= 256 ? stackalloc double[count] : new double[count];
        Span<bool> repeats = count <= 256 ? stackalloc bool[count] : new bool[count];
        MarkRepeats(queryTerms, repeats);
        double attainable = 0, total = 0, best = 0, current = 0;
        int bestStart = 0, bestEnd = 0, start = 0, end = -1;
        for (var i = 0; i < count; i++)
        {
            var term = queryTerms[i];
            contextEvidence[i] = 0;
            var repeat = repeats[i];
            var entry = Entry(term);
            if (!repeat) attainable += AttainableWeight(term, entry, unknownTermWeight);
            if (entry is null) continue;
            if (!repeat) contextEvidence[i] = entry.Idf * term.Weight * SaturationIn(entry.Postings, context);
            var saturation = SaturationIn(entry.Postings, document);
            if (saturation <= 0) continue;
            // Terms come in the order of their first character (see LexicalTerms.Extract), so overlapping terms the
            // document knows (確定, 定申, 申告 of 確定申告; an English word and its prefix) join into one word. A gram that
            // reaches into kana (経費の, は誰) counts towards the word it follows but joins no two words: particles
            // separate Japanese words, so 経費の承認 is two words, not one.
            if (term.Start >= end && !(term.SpansKana && end > 0))
            {
                if (current > best) (best, bestStart, bestEnd) = (current, start, end);
                (current, start, end) = (0, term.Start, term.Start + term.Length);
            }
            else if (!term.SpansKana) end = Math.Max(end, term.Start + term.Length);
            if (repeat) continue;
            current += entry.Idf * term.Weight * saturation;
            total += entry.Idf * term.Weight * saturation;
        }
        if (current > best) (best, bestStart, bestEnd) = (current, start, end);

        var rest = total - best;
        if (best <= 0 || rest > loneWordShare * best) return 0;
        var contextRest = 0.0;
        for (var i = 0; i < count; i++)
        {
            var term = queryTerms[i];
            if (term.Start >= bestEnd || bestStart >= term.Start + term.Length) contextRest += contextEvidence[i];
        }
        if (contextRest <= rest || contextRest < contextShare * best) return 0;
        return best / (attainable + priorEvidence * (K1 + 1));
    }

    /// <summary>
    /// Adds to <paramref name="mentioned"/>, per document, the part of its score (on the scale of
    /// <see cref="Score(List{LexicalTerm}, double, double, Span{double})"/>) that rests on terms inside the phrase
    /// [<paramref name="start"/>, <paramref name="end"/>) — but only for a document whose terms cover at most
    /// <paramref name="coverage"/> of the phrase's <paramref name="letters"/>. A quoted domain term (「有給休暇」, 'APR')
    /// is covered by its domain and keeps its evidence; an idiom that merely contains a domain's word (「猫の手も借りたい」:
    /// finance covers 借り) does not. Kanji unigrams do not count as cover: 人 or 生 is known everywhere.
    /// </summary>
    public void MentionedEvidence(List<LexicalTerm> queryTerms, int start, int end, int letters, double unknownTermWeight, double priorEvidence,
        double coverage, Span<double> mentioned)
    {
        var count = queryTerms.Count;
        var documents = mentioned.Length;
        var length = end - start;
        Span<bool> repeats = count <= 256 ? stackalloc bool[count] : new bool[count];
        Span<double> inside = documents <= 64 ? stackalloc double[documents] : new double[documents];
        Span<bool> covered = documents * length <= 1024 ? stackalloc bool[documents * length] : new bool[documents * length];
        inside.Clear();
        covered.Clear();
        MarkRepeats(queryTerms, repeats);
        var attainable = 0.0;
        for (var i = 0; i < count; i++)
        {
            var term = queryTerms[i];
            var entry = Entry(term);
            if (!repeats[i]) attainable += AttainableWeight(term, entry, unknownTermWeight);
            if (entry is null || term.Start < start || term.Start + term.Length > end) continue;
            foreach (var posting in entry.Postings)
            {
                if (!repeats[i]) inside[posting.Document] += entry.Idf * term.Weight * posting.Saturation;
                if (IsKanjiUnigram(term)) continue;
                covered.Slice(posting.Document * length + term.Start - start, term.Length).Fill(true);
            }
        }
        var denominator = attainable + priorEvidence * (K1 + 1);
        if (denominator <= 0 || letters <= 0) return;
        for (var document = 0; document < documents; document++)
        {
            if (inside[document] <= 0 || CountTrue(covered.Slice(document * length, length)) > coverage * letters) continue;
            mentioned[document] += inside[document] / denominator;
        }
    }

    private TermEntry? Entry(LexicalTerm term) => terms.TryGetValue(term.Key, out var entry) ? entry : null;

    /// <summary>What a query term adds to the query's attainable weight: its full BM25 weight in a document where it is saturated, an unknown term's at a discount.</summary>
    private double AttainableWeight(LexicalTerm term, TermEntry? entry, double unknownTermWeight) =>
        (entry?.Idf ?? unknownTermWeight * unknownTermIdf) * term.Weight * (K1 + 1);

    // One character at less than full weight: a kanji unigram (a one-letter English word weighs 1).
    private static bool IsKanjiUnigram(LexicalTerm term) => term.Length == 1 && term.Weight < 1f;

    private static int CountTrue(ReadOnlySpan<bool> flags)
    {
        var count = 0;
        foreach (var flag in flags)
        {
            if (flag) count++;
        }
        return count;
    }

    /// <summary>
    /// Marks every term whose key came earlier in the query, in O(n log n): a long prompt has thousands of terms, where
    /// a backwards scan per term would cost more than the rest of the decision's lexical work.
    /// </summary>
    private static void MarkRepeats(List<LexicalTerm> queryTerms, Span<bool> repeats)
    {
        var count = queryTerms.Count;
        Span<ulong> keys = count <= 256 ? stackalloc ulong[count] : new ulong[count];
        Span<int> positions = count <= 256 ? stackalloc int[count] : new int[count];
        for (var i = 0; i < count; i++) (keys[i], positions[i]) = (queryTerms[i].Key, i);
        keys.Sort(positions);
        for (var group = 0; group < count;)
        {
            var next = group + 1;
            var first = positions[group];
            while (next < count && keys[next] == keys[group]) first = Math.Min(first, positions[next++]);
            for (var i = group; i < next; i++) repeats[positions[i]] = positions[i] != first;
            group = next;
        }
    }

    // A loop, not Array.Find: a lambda capturing the document would allocate on every scoring call of the hot path.
    // Every posting's saturation is positive, so 0 means the document does not list the term.
    private static double SaturationIn(Posting[] postings, int document)
    {
        foreach (var posting in postings)
        {
            if (posting.Document == document) return posting.Saturation;
        }
        return 0;
    }

    private static double Idf(int texts, int containing) => Math.Log(1 + (texts - containing + 0.5) / (containing + 0.5));

    private readonly record struct Posting(int Document, double Saturation);

    private sealed record TermEntry(double Idf, Posting[] Postings);
}
