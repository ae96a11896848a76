using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Tsuzumi.Catalog;

/// <summary>
/// Registers the one catalog every service reads: <c>Constellation:Catalog</c>, else <c>config/constellation.json</c>
/// in the content root or a folder above it. One <see cref="CatalogMonitor"/> per process, however many services a host
/// combines (the embedded default runs silo and router in one host).
/// </summary>
public static partial class CatalogServiceCollectionExtensions
{
    public const string CatalogKey = "Constellation:Catalog";

    public const string DefaultCatalog = "config/constellation.json";

    /// <param name="verifyFiles">
    /// Whether model and adapter files must exist. Services that load models (silos) say yes; routing-only services
    /// (router) say no, since in a cluster the files live on the silos. One host asking for both verifies.
    /// </param>
    public static IServiceCollection AddConstellationCatalog(this IServiceCollection services, IConfiguration configuration, string contentRoot, bool verifyFiles = true)
    {
        var path = ResolveCatalogPath(configuration, contentRoot);
        if (services.FirstOrDefault(service => service.ServiceType == typeof(CatalogRegistration))?.ImplementationInstance is CatalogRegistration registered)
        {
            if (registered.Path != path) throw new InvalidOperationException($"two catalogs registered in one host: {registered.Path} and {path}");
            registered.VerifyFiles |= verifyFiles;
            return services;
        }
        var registration = new CatalogRegistration(path) { VerifyFiles = verifyFiles };
        services.AddSingleton(registration);
        services.AddSingleton(provider =>
        {
            var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Tsuzumi.Catalog");
            return new CatalogMonitor(registration.Path, problem => LogProblem(logger, registration.Path, problem.ToString()), registration.VerifyFiles);
        });
        services.TryAddSingleton<ICatalogSource>(provider => provider.GetRequiredService<CatalogMonitor>());
        return services;
    }

    /// <summary>The configured path (relative to the content root), else the default file in the content root or a folder above it.</summary>
    public static string ResolveCatalogPath(IConfiguration configuration, string contentRoot)
    {
        if (configuration[CatalogKey] is { Length: > 0 } configured)
        {
            var path = Path.GetFullPath(configured, contentRoot);
            return File.Exists(path) ? path : throw new InvalidOperationException($"{CatalogKey} is '{configured}', but {path} does not exist");
        }
        for (var folder = new DirectoryInfo(contentRoot); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, DefaultCatalog);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"no {DefaultCatalog} in {contentRoot} or above it; set {CatalogKey} to the catalog file");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog {Path}: {Problem}")]
    private static partial void LogProblem(ILogger logger, string path, string problem);

    /// <summary>What the first registration resolved, widened by later ones until the monitor is built.</summary>
    private sealed class CatalogRegistration(string path)
    {
        public string Path { get; } = path;

        public bool VerifyFiles { get; set; }
    }
}
