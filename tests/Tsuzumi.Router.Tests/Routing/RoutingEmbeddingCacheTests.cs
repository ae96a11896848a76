using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

/// <summary>The catalog's vectors kept in a file between runs: a second start embeds nothing and routes the same.</summary>
public sealed class RoutingEmbeddingCacheTests(RoutingFixture fixture) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-embedding-cache-").FullName;

    private string CachePath => Path.Combine(folder, "nested", "routing-embeddings.bin");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly string[] Queries = ["NISAの上限はいくら？", "ringing in my ears since the concert", "how do i make chicken stock", "有給休暇の申請方法"];

    [Fact]
    public void A_second_start_over_the_same_catalog_embeds_no_catalog_text_and_routes_the_same()
    {
        var first = new CountingEmbedder(fixture.Embedder);
        using var cold = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), first, embeddingCache: new RoutingEmbeddingCache(CachePath));
        var second = new CountingEmbedder(fixture.Embedder);
        using var warm = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), second, embeddingCache: new RoutingEmbeddingCache(CachePath));

        Assert.True(first.Sentences > 1500, $"{first.Sentences} texts embedded on the first start");
        Assert.Equal(0, second.Sentences);
        foreach (var query in Queries)
            Assert.Equal(cold.Route(query, "acme"), warm.Route(query, "acme"), RouteDecisionComparer.Instance);
        Assert.Equal(Queries.Length, second.Sentences); // queries are embedded, never cached
    }

    [Fact]
    public void A_changed_catalog_embeds_only_its_new_texts_and_queries_never_grow_the_file()
    {
        using (new HybridSpecialistRouter(new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries), fixture.Embedder, embeddingCache: new RoutingEmbeddingCache(CachePath))) { }
        var size = new FileInfo(CachePath).Length;
        var counting = new CountingEmbedder(fixture.Embedder);
        var added = fixture.CatalogWithoutLabelledQueries with
        {
            Specialists = [.. fixture.CatalogWithoutLabelledQueries.Specialists.Select(specialist => specialist.Id == "finance"
                ? specialist with { LabelledQueries = ["should i move my emergency fund into a money market account"] }
                : specialist)],
            Version = "one-labelled-query",
        };

        using var router = new HybridSpecialistRouter(new StaticCatalogSource(added), counting, embeddingCache: new RoutingEmbeddingCache(CachePath));
        var grown = new FileInfo(CachePath).Length;
        foreach (var query in Queries) router.Route(query, "public");

        Assert.Equal(1, counting.Sentences - Queries.Length);
        Assert.Equal(16 + 384 * sizeof(float), grown - size);
        Assert.Equal(grown, new FileInfo(CachePath).Length);
    }

    [Theory]
    [InlineData("another embedder")]
    [InlineData("torn")]
    [InlineData("garbage")]
    public void A_file_it_cannot_trust_is_ignored_and_rewritten(string damage)
    {
        var catalog = new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries);
        using (new HybridSpecialistRouter(catalog, damage == "another embedder" ? new RenamedEmbedder(fixture.Embedder) : fixture.Embedder,
            embeddingCache: new RoutingEmbeddingCache(CachePath))) { }
        if (damage == "torn") File.WriteAllBytes(CachePath, File.ReadAllBytes(CachePath)[..^100]);
        if (damage == "garbage") File.WriteAllText(CachePath, "not a cache at all");

        var counting = new CountingEmbedder(fixture.Embedder);
        var cache = new RoutingEmbeddingCache(CachePath);
        using var router = new HybridSpecialistRouter(catalog, counting, embeddingCache: cache);
        var again = new CountingEmbedder(fixture.Embedder);
        using var next = new HybridSpecialistRouter(catalog, again, embeddingCache: new RoutingEmbeddingCache(CachePath));

        Assert.NotNull(cache.IgnoredBecause);
        Assert.True(counting.Sentences > 400, $"{counting.Sentences} texts embedded again");
        Assert.Equal(0, again.Sentences);
        foreach (var query in Queries)
            Assert.Equal(fixture.RouterWithoutLabelledQueries.Route(query, "acme"), router.Route(query, "acme"), RouteDecisionComparer.Instance);
    }

    private sealed class RenamedEmbedder(ISentenceEmbedder inner) : ISentenceEmbedder
    {
        public string Name => inner.Name + " (another build)";

        public float[][] Embed(IReadOnlyList<string> sentences) => inner.Embed(sentences);
    }

    private sealed class RouteDecisionComparer : IEqualityComparer<RouteDecision>
    {
        public static readonly RouteDecisionComparer Instance = new();

        public bool Equals(RouteDecision? x, RouteDecision? y) =>
            x is not null && y is not null && x.Candidates.SequenceEqual(y.Candidates) && x.Chosen.SequenceEqual(y.Chosen) && x.FellBack == y.FellBack;

        public int GetHashCode(RouteDecision obj) => obj.Chosen.Count;
    }
}
