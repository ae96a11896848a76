using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tsuzumi.Catalog.Tests;

/// <summary>Silo and router in one host (the embedded default) must share one catalog monitor, verifying if either asks.</summary>
public sealed class CatalogServiceCollectionExtensionsTests : IDisposable
{
    private readonly CatalogFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Two_services_in_one_host_share_one_monitor_that_verifies_files_when_either_asks()
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")));
        var configuration = Configuration(path);
        var services = new ServiceCollection().AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);

        services.AddConstellationCatalog(configuration, folder.Root, verifyFiles: false); // router first
        services.AddConstellationCatalog(configuration, folder.Root);                     // then the silo
        using var provider = services.BuildServiceProvider();

        var monitor = provider.GetRequiredService<CatalogMonitor>();
        Assert.Same(monitor, provider.GetRequiredService<ICatalogSource>());
        Assert.Single(services, service => service.ServiceType == typeof(CatalogMonitor));
        Assert.True(monitor.VerifiesFiles);
        Assert.Equal(Path.GetFullPath(path), monitor.FilePath);
    }

    [Fact]
    public void A_routing_only_host_does_not_verify_files()
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")));
        var services = new ServiceCollection().AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);

        services.AddConstellationCatalog(Configuration(path), folder.Root, verifyFiles: false);
        using var provider = services.BuildServiceProvider();

        Assert.False(provider.GetRequiredService<CatalogMonitor>().VerifiesFiles);
    }

    [Fact]
    public void A_configured_catalog_that_does_not_exist_stops_the_start_naming_the_key()
    {
        var missing = System.IO.Path.Combine(folder.Root, "nowhere.json");

        var error = Assert.Throws<InvalidOperationException>(() =>
            new ServiceCollection().AddConstellationCatalog(Configuration(missing), folder.Root));

        Assert.Contains(CatalogServiceCollectionExtensions.CatalogKey, error.Message);
        Assert.Contains("nowhere.json", error.Message);
    }

    private static IConfiguration Configuration(string catalogPath) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { [CatalogServiceCollectionExtensions.CatalogKey] = catalogPath })
        .Build();
}
