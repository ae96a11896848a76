using Tsuzumi.Catalog;

namespace Tsuzumi.Silo.Extensions;

/// <summary>Registers the catalog every service reads: <c>Constellation:Catalog</c>, else <c>config/constellation.json</c> above the content root.</summary>
public static partial class CatalogExtensions
{
    public const string CatalogKey = "Constellation:Catalog";

    public const string DefaultCatalog = "config/constellation.json";

    public static IServiceCollection AddConstellationCatalog(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var path = ResolveCatalogPath(configuration, contentRoot);
        services.AddSingleton(provider =>
        {
            var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Tsuzumi.Catalog");
            return new CatalogMonitor(path, problem => LogProblem(logger, path, problem.ToString()));
        });
        services.AddSingleton<ICatalogSource>(provider => provider.GetRequiredService<CatalogMonitor>());
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
}
