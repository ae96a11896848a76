using Tsuzumi.Catalog;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// Routes a query by a weighted sum of two calibrated signals, each in [0, 1]: the best cosine similarity of its
/// MiniLM embedding to a specialist's description and examples, and the share of its character n-gram BM25 weight
/// that the specialist explains. Specialists at or above their threshold are chosen (a second one when it also scores
/// close to the best, or when words the best does not know are its own evidence); when none fits, the catalog's
/// fallback answers. The fallback also wins on its own merit, when it scores at least as high as the best specialist
/// (plus an optional margin); a leading specialist that owes its lexical evidence to one word of a query the fallback
/// otherwise explains counts that word at a discount (<see cref="RoutingTuning.LoneWordWeight"/>).
/// </summary>
public sealed class HybridSpecialistRouter : ISpecialistRouter, IDisposable
{
    private readonly ICatalogSource catalogSource;
    private readonly ISentenceEmbedder? embedder;
    private readonly RoutingTuning tuning;
    private readonly RoutingEmbeddingCache? embeddingCache;
    private readonly Lock rebuildGate = new();
    private RoutingIndex index;

    /// <param name="embeddingCache">Keeps the catalog's vectors between runs (null: embed them at every start).</param>
    public HybridSpecialistRouter(ICatalogSource catalogSource, ISentenceEmbedder embedder, RoutingTuning? tuning = null, RoutingEmbeddingCache? embeddingCache = null)
    {
        this.catalogSource = catalogSource;
        this.embeddingCache = embeddingCache;
        this.tuning = tuning ?? new RoutingTuning();
        if (this.tuning.Signals is not (RoutingSignals.Hybrid or RoutingSignals.EmbeddingOnly or RoutingSignals.LexicalOnly))
            throw new ArgumentException($"unknown routing signals '{this.tuning.Signals}'", nameof(tuning));
        if (this.tuning.CosineCeiling <= this.tuning.CosineFloor || this.tuning.CosineCeilingJapanese <= this.tuning.CosineFloorJapanese)
            throw new ArgumentException("cosine ceilings must be above their floors", nameof(tuning));
        if (this.tuning.LexicalSaturation is not (> 0 and <= 1)) throw new ArgumentException("lexical saturation must be in (0, 1]", nameof(tuning));
        if (this.tuning.EmbeddingWeightStrongLexical is not (>= 0 and <= 1)) throw new ArgumentException("the strong-lexical embedding weight must be in [0, 1]", nameof(tuning));
        if (this.tuning.LoneWordWeight is not (>= 0 and <= 1)) throw new ArgumentException("the lone-word weight must be in [0, 1]", nameof(tuning));
        if (this.tuning.MentionedWeight is not (>= 0 and <= 1)) throw new ArgumentException("the mentioned-phrase weight must be in [0, 1]", nameof(tuning));
        if (this.tuning.MentionedCoverage is not (>= 0 and <= 1)) throw new ArgumentException("the mentioned-phrase coverage must be in [0, 1]", nameof(tuning));
        if (this.tuning.LoneWordShare < 0 || this.tuning.LoneWordContext < 0) throw new ArgumentException("the lone-word share and context must not be negative", nameof(tuning));
        if (this.tuning.HiddenLeaderRatio is not (> 0 and <= 1)) throw new ArgumentException("the hidden-leader ratio must be in (0, 1]", nameof(tuning));
        this.embedder = this.tuning.Signals == RoutingSignals.LexicalOnly ? null : embedder;
        index = RoutingIndex.Build(catalogSource.Current, this.embedder, previous: null, embeddingCache);
        catalogSource.Changed += OnCatalogChanged;
    }

    /// <summary>The catalog version the router currently routes over.</summary>
    public string IndexVersion => Volatile.Read(ref index).Version;

    /// <summary>How many times an index was built (once at start, then once per new catalog version).</summary>
    public int IndexBuilds { get; private set; } = 1;

    public RouteDecision Route(string query, string tenant)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        if (!QueryText.HasContent(query)) throw new ArgumentException("the query has no letters or digits to route on", nameof(query));

        var current = CurrentIndex();
        var normalized = QueryText.Normalize(query.Length > tuning.MaxQueryCharacters ? query[..tuning.MaxQueryCharacters] : query);
        var count = current.Specialists.Length;
        Span<double> lexical = count <= 64 ? stackalloc double[count] : new double[count];
        Span<double> semantic = count <= 64 ? stackalloc double[count] : new double[count];
        Span<double> rawLexical = count <= 64 ? stackalloc double[count] : new double[count];

        var japanese = QueryText.JapaneseShare(normalized);
        var embeddingWeight = EmbeddingWeight(japanese);
        var terms = TermBuffer.Value!;
        terms.Clear();
        if (embeddingWeight < 1)
        {
            var rewritten = LexicalTerms.Extract(normalized, terms);
            current.Lexical.Score(terms, tuning.UnknownTermWeight, tuning.LexicalPriorEvidence, rawLexical);
            DiscountMentionedPhrases(current, rewritten, terms, rawLexical);
            for (var i = 0; i < count; i++) lexical[i] = Math.Min(1, rawLexical[i] / tuning.LexicalSaturation);
        }
        if (embeddingWeight > 0 && embedder is not null) ScoreEmbeddings(current, normalized, japanese, semantic);

        var scores = new RouteCandidate[count];
        for (var i = 0; i < count; i++) scores[i] = new RouteCandidate(current.Specialists[i].Id, Combine(embeddingWeight, semantic[i], lexical[i]));
        var rankedIndices = Enumerable.Range(0, count).OrderByDescending(i => scores[i].Score).ToArray();

        // The leading specialist's lexical evidence counts less when it rests on one word the query shares with its
        // domain while the fallback explains the rest (interest in learning guitar, the doctor who series): a general
        // question that happens to use one domain word. Only the leader: second choices keep their own evidence.
        if (embeddingWeight < 1 && count > 1 && current.FallbackIndex >= 0 && tuning.LoneWordWeight < 1)
        {
            var leader = Array.Find(rankedIndices, i => i != current.FallbackIndex);
            var lone = current.Lexical.LoneWordScore(terms, leader, current.FallbackIndex, tuning.UnknownTermWeight, tuning.LexicalPriorEvidence,
                tuning.LoneWordShare, tuning.LoneWordContext);
            if (lone > 0)
            {
                lexical[leader] = Math.Min(1, Math.Max(0, rawLexical[leader] - (1 - tuning.LoneWordWeight) * lone) / tuning.LexicalSaturation);
                scores[leader] = scores[leader] with { Score = Combine(embeddingWeight, semantic[leader], lexical[leader]) };
                rankedIndices = Enumerable.Range(0, count).OrderByDescending(i => scores[i].Score).ToArray();
            }
        }

        // What the other specialists explain beyond the leading one: the evidence for a second domain (lexical only),
        // read only when the catalog allows a second choice.
        Span<double> beyondLeader = count <= 64 ? stackalloc double[count] : new double[count];
        if (embeddingWeight < 1 && count > 1 && current.Catalog.Routing.TopK > 1)
        {
            var leader = Array.Find(rankedIndices, i => i != current.FallbackIndex);
            current.Lexical.ScoreBeyond(terms, leader, tuning.UnknownTermWeight, tuning.LexicalPriorEvidence, beyondLeader);
            for (var i = 0; i < count; i++) beyondLeader[i] = Math.Min(1, beyondLeader[i] / tuning.LexicalSaturation);
        }
        return Decide(current, scores, rankedIndices, beyondLeader, tenant);
    }

    /// <summary>
    /// A phrase the query asks about (「猫の手も借りたい」ってどういう意味, what does 'break a leg' mean) is mentioned, not
    /// used: a specialist's evidence inside it counts at <see cref="RoutingTuning.MentionedWeight"/> unless its terms cover
    /// most of the phrase (a quoted domain term: 「有給休暇」とは, 'APR'). The fallback keeps its evidence: asking what a
    /// saying means is its kind of question.
    /// </summary>
    private void DiscountMentionedPhrases(RoutingIndex current, string rewritten, List<LexicalTerm> terms, Span<double> rawLexical)
    {
        if (tuning.MentionedWeight >= 1) return;
        Span<(int Start, int End)> spans = stackalloc (int, int)[4];
        var found = MentionedPhrase.FindQuoted(rewritten, spans);
        if (found == 0) found = MentionedPhrase.FindUnquotedJapanese(rewritten, spans);
        if (found == 0) return;
        Span<double> mentioned = rawLexical.Length <= 64 ? stackalloc double[rawLexical.Length] : new double[rawLexical.Length];
        mentioned.Clear();
        foreach (var (start, end) in spans[..found])
        {
            var letters = MentionedPhrase.Letters(rewritten.AsSpan(start, end - start));
            if (letters < tuning.MentionedMinimumLetters || !MentionedPhrase.AsksAbout(rewritten, start, end)) continue;
            current.Lexical.MentionedEvidence(terms, start, end, letters, tuning.UnknownTermWeight, tuning.LexicalPriorEvidence, tuning.MentionedCoverage, mentioned);
        }
        for (var i = 0; i < rawLexical.Length; i++)
        {
            if (i != current.FallbackIndex) rawLexical[i] = Math.Max(0, rawLexical[i] - (1 - tuning.MentionedWeight) * mentioned[i]);
        }
    }

    /// <summary>
    /// Decides over every specialist, then keeps those the tenant may use. A question whose best domain the tenant cannot
    /// see (ACME's rules asked from outside ACME) thus falls back instead of going to a visible domain that merely shares
    /// a word with it (expense reports → finance), unless that visible domain fits nearly as well (see
    /// <see cref="HiddenLeaderYields"/>). Only visible specialists appear in the decision.
    /// </summary>
    private RouteDecision Decide(RoutingIndex current, RouteCandidate[] scores, int[] rankedIndices, ReadOnlySpan<double> beyondLeader, string tenant)
    {
        var topK = current.Catalog.Routing.TopK;
        var visibleRanked = rankedIndices.Where(i => current.Specialists[i].IsVisibleTo(tenant)).Select(i => scores[i]).ToArray();
        var fallbackVisible = current.FallbackIndex >= 0 && current.Specialists[current.FallbackIndex].IsVisibleTo(tenant);
        var fallback = fallbackVisible ? scores[current.FallbackIndex] : null;
        var fallbackFits = fallback is not null && fallback.Score >= current.Thresholds[current.FallbackIndex];

        // The first chosen is the best specialist that passes its threshold; the others must also fit next to it.
        var chosen = new List<int>(topK);
        foreach (var i in rankedIndices)
        {
            if (chosen.Count >= topK) break;
            if (i == current.FallbackIndex) continue;
            var candidate = scores[i];
            if (chosen.Count == 0)
            {
                if (candidate.Score >= current.Thresholds[i] && !HiddenLeaderYields(current, scores, rankedIndices, i, tenant)) chosen.Add(i);
                continue;
            }
            // A hidden specialist matters only as the best fit; it never takes a visible second choice's place.
            if (!current.Specialists[i].IsVisibleTo(tenant)) continue;
            var closeToBest = candidate.Score >= current.Thresholds[i] && candidate.Score >= tuning.SecondChoiceRatio * scores[chosen[0]].Score;
            var ownEvidence = candidate.Score >= tuning.SecondChoiceFloor && beyondLeader[i] >= tuning.SecondChoiceEvidence;
            if (closeToBest || ownEvidence) chosen.Add(i);
        }

        if (fallbackFits && (chosen.Count == 0 || fallback!.Score >= scores[chosen[0]].Score + tuning.FallbackMargin))
            return new RouteDecision(visibleRanked, [fallback!.Id], FellBack: false);
        if (chosen.Count > 0 && current.Specialists[chosen[0]].IsVisibleTo(tenant))
            return new RouteDecision(visibleRanked, chosen.Select(i => scores[i].Id).ToArray(), FellBack: false);
        return new RouteDecision(visibleRanked, fallback is null ? [] : [fallback.Id], FellBack: true);
    }

    /// <summary>
    /// A hidden leader steps aside when the best visible specialist fits and scores nearly as high
    /// (<see cref="RoutingTuning.HiddenLeaderRatio"/>): the question is that domain's too (inheriting shares, whose 名義変更の手続き
    /// ACME's rules also explain). ACME's own rules asked from outside score the visible domains at half or less, and fall back.
    /// </summary>
    private bool HiddenLeaderYields(RoutingIndex current, RouteCandidate[] scores, int[] rankedIndices, int leader, string tenant)
    {
        if (current.Specialists[leader].IsVisibleTo(tenant)) return false;
        var visible = Array.Find(rankedIndices, i => i != current.FallbackIndex && current.Specialists[i].IsVisibleTo(tenant));
        return visible >= 0 && scores[visible].Score >= current.Thresholds[visible] && scores[visible].Score >= tuning.HiddenLeaderRatio * scores[leader].Score;
    }

    private double EmbeddingWeight(double japanese) => tuning.Signals switch
    {
        RoutingSignals.LexicalOnly => 0,
        RoutingSignals.EmbeddingOnly => 1,
        _ => Blend(tuning.EmbeddingWeightEnglish, tuning.EmbeddingWeightJapanese, japanese),
    };

    /// <summary>
    /// One specialist's score. Strong lexical evidence (the query's informative words are the specialist's own) carries
    /// more weight than the fixed English share allows: the embedding's share falls towards the strong-evidence share as
    /// the saturated lexical score rises. Where the embedding is already trusted less (Japanese), nothing changes.
    /// </summary>
    private double Combine(double embeddingWeight, double semantic, double lexical)
    {
        var weight = embeddingWeight - Math.Max(0, embeddingWeight - tuning.EmbeddingWeightStrongLexical) * lexical;
        return Math.Round(weight * semantic + (1 - weight) * lexical, 4);
    }

    /// <summary>English and Japanese settings mixed by the query's share of Japanese letters.</summary>
    private static double Blend(double english, double japanese, double share) => english + share * (japanese - english);

    private void ScoreEmbeddings(RoutingIndex current, string normalized, double japanese, Span<double> scores)
    {
        var floor = Blend(tuning.CosineFloor, tuning.CosineFloorJapanese, japanese);
        var ceiling = Blend(tuning.CosineCeiling, tuning.CosineCeilingJapanese, japanese);
        var query = embedder!.Embed([normalized])[0];
        for (var specialist = 0; specialist < scores.Length; specialist++)
        {
            var bestCosine = -1.0;
            foreach (var vector in current.Embeddings[specialist]) bestCosine = Math.Max(bestCosine, Dot(query, vector));
            scores[specialist] = Math.Clamp((bestCosine - floor) / (ceiling - floor), 0, 1);
        }
    }

    private static double Dot(float[] left, float[] right) => System.Numerics.Tensors.TensorPrimitives.Dot(left, right);

    /// <summary>The index for the current catalog version; a stale one keeps serving while another thread rebuilds.</summary>
    private RoutingIndex CurrentIndex()
    {
        var current = Volatile.Read(ref index);
        if (current.Version == catalogSource.Current.Version) return current;
        if (!rebuildGate.TryEnter()) return current;
        try
        {
            return Rebuild(catalogSource.Current);
        }
        finally
        {
            rebuildGate.Exit();
        }
    }

    private void OnCatalogChanged(ConstellationCatalog catalog)
    {
        lock (rebuildGate) Rebuild(catalog);
    }

    private RoutingIndex Rebuild(ConstellationCatalog catalog)
    {
        var current = Volatile.Read(ref index);
        if (current.Version == catalog.Version) return current;
        var rebuilt = RoutingIndex.Build(catalog, embedder, current, embeddingCache);
        Volatile.Write(ref index, rebuilt);
        IndexBuilds++;
        return rebuilt;
    }

    public void Dispose() => catalogSource.Changed -= OnCatalogChanged;

    private static readonly ThreadLocal<List<LexicalTerm>> TermBuffer = new(() => new List<LexicalTerm>(128));
}
