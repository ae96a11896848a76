using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Tests.Routing;
using Tsuzumi.Testing;

[assembly: AssemblyFixture(typeof(RoutingFixture))]

namespace Tsuzumi.Router.Tests.Routing;

/// <summary>The real MiniLM model (loaded once: seconds) and the repository's catalog, shared by every routing test.</summary>
public sealed class RoutingFixture : IDisposable
{
    private readonly MiniLmSentenceEmbedder embedder = new();

    public RoutingFixture()
    {
        Catalog = CatalogLoader.Load(Path.Combine(RepositoryPaths.Root, "config", "constellation.json"), verifyFiles: false).Catalog;
        Router = new HybridSpecialistRouter(new StaticCatalogSource(Catalog), embedder);
    }

    public ISentenceEmbedder Embedder => embedder;

    public ConstellationCatalog Catalog { get; }

    /// <summary>The hybrid router over the repository's catalog with the default tuning.</summary>
    public HybridSpecialistRouter Router { get; }

    public static string SetPath(string name) => Path.Combine(RepositoryPaths.Root, "tests", "Tsuzumi.Router.Tests", "Routing", name);

    public void Dispose()
    {
        Router.Dispose();
        embedder.Dispose();
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
