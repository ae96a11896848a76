using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Routing.Evaluation;
using Tsuzumi.Router.Tests.Routing;
using Tsuzumi.Testing;

[assembly: AssemblyFixture(typeof(RoutingFixture))]

namespace Tsuzumi.Router.Tests.Routing;

/// <summary>The real MiniLM model (loaded once: seconds) and the repository's catalog, shared by every routing test.</summary>
public sealed class RoutingFixture : IDisposable
{
    private readonly MiniLmSentenceEmbedder model = new();
    private readonly MemoizingEmbedder embedder;

    private readonly LeaveSetOutCatalogSource leaveSetOut;
    private readonly HybridSpecialistRouter leaveSetOutRouter;
    private readonly Lock leaveSetOutGate = new();

    public RoutingFixture()
    {
        embedder = new MemoizingEmbedder(model);
        Catalog = CatalogLoader.Load(Path.Combine(RepositoryPaths.Root, "config", "constellation.json"), verifyFiles: false).Catalog;
        CatalogWithoutLabelledQueries = Catalog with
        {
            Specialists = [.. Catalog.Specialists.Select(specialist => specialist with { LabelledQueries = [] })],
            Version = "without-labelled-queries",
        };
        Router = new HybridSpecialistRouter(new StaticCatalogSource(Catalog), embedder);
        RouterWithoutLabelledQueries = new HybridSpecialistRouter(new StaticCatalogSource(CatalogWithoutLabelledQueries), embedder);
        leaveSetOut = new LeaveSetOutCatalogSource(Catalog);
        leaveSetOutRouter = new HybridSpecialistRouter(leaveSetOut, embedder);
    }

    public ISentenceEmbedder Embedder => embedder;

    public ConstellationCatalog Catalog { get; }

    /// <summary>The hybrid router over the repository's catalog with the default tuning.</summary>
    public HybridSpecialistRouter Router { get; }

    /// <summary>
    /// The catalog's own descriptions, examples and vocabulary without the labelled queries (decision 0029): the
    /// ground on which each rule of the router is shown, since a labelled near neighbour can settle a query before any
    /// rule is needed.
    /// </summary>
    public ConstellationCatalog CatalogWithoutLabelledQueries { get; }

    public HybridSpecialistRouter RouterWithoutLabelledQueries { get; }

    /// <summary>
    /// Scores a labelled set as <c>tsuzumi eval routing</c> does: over the catalog without the labelled queries that
    /// repeat the set's own, so a set that lent its queries to the catalog is still scored as unseen.
    /// </summary>
    public (IReadOnlyList<RoutingSliceResult> Slices, IReadOnlyList<RoutingMiss> Misses) EvaluateUnseen(RoutingSet set, string? tenantOverride = null)
    {
        lock (leaveSetOutGate)
        {
            leaveSetOut.HoldOut(set);
            return RoutingEvaluator.Evaluate(leaveSetOutRouter, leaveSetOut.Current, set, tenantOverride, timedPasses: 0);
        }
    }

    public static string SetPath(string name) => Path.Combine(RepositoryPaths.Root, "tests", "Tsuzumi.Router.Tests", "Routing", name);

    public void Dispose()
    {
        Router.Dispose();
        RouterWithoutLabelledQueries.Dispose();
        leaveSetOutRouter.Dispose();
        model.Dispose();
    }
}

/// <summary>A catalog source a test replaces by hand, raising <see cref="Changed"/> as the file monitor does.</summary>
internal sealed class ReplaceableCatalogSource(ConstellationCatalog catalog) : ICatalogSource
{
    public ConstellationCatalog Current { get; private set; } = catalog;

    public event Action<ConstellationCatalog>? Changed;

    public void Replace(ConstellationCatalog next)
    {
        Current = next;
        Changed?.Invoke(next);
    }
}

/// <summary>Passes through to the real embedder and counts the sentences it was asked to embed.</summary>
internal sealed class CountingEmbedder(ISentenceEmbedder inner) : ISentenceEmbedder
{
    private int sentences;

    public int Sentences => Volatile.Read(ref sentences);

    public string Name => inner.Name;

    public float[][] Embed(IReadOnlyList<string> batch)
    {
        Interlocked.Add(ref sentences, batch.Count);
        return inner.Embed(batch);
    }
}

/// <summary>
/// Embeds each distinct sentence once per test run: every router a test builds over the catalog would otherwise embed
/// its 1,900 texts again (seconds each). The vectors are the model's own, so decisions are the same.
/// </summary>
internal sealed class MemoizingEmbedder(ISentenceEmbedder inner) : ISentenceEmbedder
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> vectors = new(StringComparer.Ordinal);

    public string Name => inner.Name;

    public float[][] Embed(IReadOnlyList<string> batch)
    {
        var missing = batch.Where(sentence => !vectors.ContainsKey(sentence)).Distinct(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            var embedded = inner.Embed(missing);
            for (var i = 0; i < missing.Length; i++) vectors.TryAdd(missing[i], embedded[i]);
        }
        return [.. batch.Select(sentence => vectors[sentence])];
    }
}
