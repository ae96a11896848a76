using Tsuzumi.Catalog;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// Everything the router precomputes for one catalog version: the BM25 index and the embeddings of every
/// specialist's description and examples. Immutable, so any number of queries read it at once.
/// </summary>
internal sealed class RoutingIndex
{
    private RoutingIndex(ConstellationCatalog catalog, LexicalIndex lexical, float[][][] embeddings, IReadOnlyDictionary<string, float[]> embeddingsByText)
    {
        Catalog = catalog;
        Specialists = [.. catalog.Specialists];
        Thresholds = Specialists.Select(specialist => specialist.RouteThreshold ?? catalog.Routing.Threshold).ToArray();
        FallbackIndex = Array.FindIndex(Specialists, specialist => specialist.Id == catalog.Routing.Fallback);
        Lexical = lexical;
        Embeddings = embeddings;
        EmbeddingsByText = embeddingsByText;
    }

    public ConstellationCatalog Catalog { get; }

    public string Version => Catalog.Version;

    public SpecialistDefinition[] Specialists { get; }

    public double[] Thresholds { get; }

    /// <summary>Index of the fallback specialist in <see cref="Specialists"/>, or -1 when the catalog lacks it.</summary>
    public int FallbackIndex { get; }

    public LexicalIndex Lexical { get; }

    /// <summary>Per specialist, the unit vectors of its description, examples, embedding-only examples and labelled queries (empty when embeddings are off).</summary>
    public float[][][] Embeddings { get; }

    /// <summary>Vectors by source text, so the next catalog version re-embeds only what changed.</summary>
    public IReadOnlyDictionary<string, float[]> EmbeddingsByText { get; }

    /// <summary>Builds the index; vectors come from <paramref name="previous"/>, then <paramref name="cache"/>, then the embedder.</summary>
    public static RoutingIndex Build(ConstellationCatalog catalog, ISentenceEmbedder? embedder, RoutingIndex? previous, RoutingEmbeddingCache? cache = null)
    {
        var lexicalTexts = catalog.Specialists.Select(specialist => (IReadOnlyList<string>)[specialist.Description, .. specialist.Examples]).ToArray();
        var lexical = new LexicalIndex(catalog.Specialists
            .Select((specialist, i) => (IReadOnlyList<string>)[.. lexicalTexts[i].Select(QueryText.Normalize), .. VocabularyTexts(specialist)])
            .ToArray());
        // Embedded: the description, the examples, the embedding-only examples and the labelled queries (the last two
        // never in the lexical document: their everyday question words would outweigh a domain's keywords).
        var texts = catalog.Specialists.Select((specialist, i) =>
            (IReadOnlyList<string>)[.. lexicalTexts[i], .. specialist.EmbeddingExamples, .. specialist.LabelledQueries]).ToArray();
        var known = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (embedder is not null)
        {
            var reusable = previous?.EmbeddingsByText ?? new Dictionary<string, float[]>();
            var distinct = texts.SelectMany(list => list).Distinct(StringComparer.Ordinal).ToArray();
            foreach (var text in distinct)
            {
                if (reusable.TryGetValue(text, out var vector)) known[text] = vector;
            }
            cache?.Fill(embedder, distinct, known);
            var missing = distinct.Where(text => !known.ContainsKey(text)).ToArray();
            // Batches of similar size: the encoder pads each batch to its longest sentence.
            foreach (var batch in missing.OrderBy(text => text.Length).Chunk(32))
            {
                var vectors = embedder.Embed(batch);
                for (var i = 0; i < batch.Length; i++) known[batch[i]] = vectors[i];
            }
            cache?.Add(embedder, missing.Select(text => KeyValuePair.Create(text, known[text])).ToArray());
        }
        var embeddings = texts.Select(list => embedder is null ? [] : list.Select(text => known[text]).ToArray()).ToArray();
        return new RoutingIndex(catalog, lexical, embeddings, known);
    }

    /// <summary>
    /// A specialist's vocabulary as one more text of its lexical document (never embedded): one text, not one per term,
    /// so that hundreds of terms leave the rarity (IDF) of words counted over the examples as it was, and a term's
    /// weight is its rarity there. The 、 between terms is a separator, so no gram spans two terms.
    /// </summary>
    private static IEnumerable<string> VocabularyTexts(SpecialistDefinition specialist) =>
        specialist.Vocabulary.Count == 0 ? [] : [QueryText.Normalize(string.Join(" 、 ", specialist.Vocabulary))];
}
