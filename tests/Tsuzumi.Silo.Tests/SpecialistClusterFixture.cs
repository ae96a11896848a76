using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Tsuzumi.Catalog;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Silo.Extensions;
using Tsuzumi.Silo.Hosting;
using Tsuzumi.Testing;

namespace Tsuzumi.Silo.Tests;

/// <summary>
/// A real Orleans cluster of two in-process silos over one catalog: the first hosts the stories260K base model, the
/// second hosts none. Both use the silo host's own registration (AddSpecialistHosting, AddSpecialistPlacement).
/// </summary>
public sealed class SpecialistClusterFixture : IAsyncLifetime
{
    public const int MaxQueueLength = 12;

    private const string ModelFile = "models/stories260K/stories260K.gguf";

    private InProcessTestCluster? cluster;
    private SpecialistCatalogFiles? files;

    /// <summary>Why the cluster could not start (shared data missing); tests skip with it.</summary>
    public string? SkipReason { get; private set; }

    public InProcessTestCluster Cluster => Require(cluster);

    public SpecialistCatalogFiles Files => Require(files);

    public IClusterClient Client => Cluster.Client;

    public SiloAddress HostingSilo { get; private set; } = null!;

    public SiloAddress EmptySilo { get; private set; } = null!;

    public IServiceProvider ServicesOf(SiloAddress silo) => Cluster.GetSiloServiceProvider(silo);

    public void SkipIfUnavailable()
    {
        if (SkipReason is not null) Assert.Skip(SkipReason);
    }

    public async ValueTask InitializeAsync()
    {
        var modelPath = Path.Combine(RepositoryPaths.SharedDirectory, ModelFile);
        if (!File.Exists(modelPath))
        {
            SkipReason = $"shared data '{ModelFile}' not found under {RepositoryPaths.SharedDirectory} (set {RepositoryPaths.SharedDirectoryVariable})";
            return;
        }
        using (var probe = PretrainedModel.Load(modelPath)) files = new SpecialistCatalogFiles(modelPath, probe.Model.Config);

        var builder = new InProcessTestClusterBuilder(2);
        var silosConfigured = 0;
        builder.ConfigureSiloHost((_, host) =>
        {
            var hostsModel = Interlocked.Increment(ref silosConfigured) == 1;
            host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [CatalogServiceCollectionExtensions.CatalogKey] = files.CatalogPath,
                ["Silo:BaseModels"] = hostsModel ? SpecialistCatalogFiles.BaseModel : "",
                ["Silo:MaxBatchSize"] = "8",
                // Long, so that a test can space a fan-out's asks far apart and still see them prefill together.
                ["Silo:PrefillGroupWaitMs"] = "30000",
                // Small enough that the bounded-load tests can fill it; the other tests never queue this many.
                ["Silo:MaxQueueLength"] = SpecialistClusterFixture.MaxQueueLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            host.AddSpecialistHosting();
        });
        builder.ConfigureSilo((_, silo) => silo.AddSpecialistPlacement(silo.Configuration, files.Folder));
        cluster = builder.Build();
        await cluster.DeployAsync();
        foreach (var silo in cluster.Silos)
        {
            var hosted = cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<ModelHost>().HostedIds;
            if (hosted.Count > 0) HostingSilo = silo.SiloAddress;
            else EmptySilo = silo.SiloAddress;
        }
        Assert.NotNull(HostingSilo);
        Assert.NotNull(EmptySilo);
    }

    /// <summary>Reloads every silo's catalog now instead of waiting for the file watcher (which also fires, harmlessly).</summary>
    public void ReloadCatalogs()
    {
        foreach (var silo in Cluster.Silos) ServicesOf(silo.SiloAddress).GetRequiredService<CatalogMonitor>().Reload();
    }

    public async ValueTask DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
        files?.Dispose();
    }

    private T Require<T>(T? value) where T : class
    {
        SkipIfUnavailable();
        return value ?? throw new InvalidOperationException("the cluster fixture is not initialised");
    }
}

[CollectionDefinition(Name)]
public sealed class SpecialistClusterCollection : ICollectionFixture<SpecialistClusterFixture>
{
    public const string Name = "specialist cluster";
}
