using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Catalog;

namespace Tsuzumi.Silo.Hosting;

/// <summary>
/// Applies catalog reloads to the adapter registries: adapters of removed specialists are unregistered, those of
/// changed specialists reload on next use. Running generations keep their leases, so nothing in flight breaks.
/// New specialists need nothing here: their grain registers its adapters on first use.
/// </summary>
public sealed partial class CatalogAdapterSync(ICatalogSource catalog, ModelHost host, ILogger<CatalogAdapterSync> logger) : IHostedService
{
    private readonly Lock gate = new();
    private ConstellationCatalog previous = catalog.Current;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        catalog.Changed += Apply;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        catalog.Changed -= Apply;
        return Task.CompletedTask;
    }

    internal void Apply(ConstellationCatalog current)
    {
        lock (gate)
        {
            foreach (var model in host.Loaded)
            {
                var inUse = SpecialistAdapters.InUse(current, model.Id);
                foreach (var status in model.Adapters.Status())
                {
                    if (!inUse.Contains(status.Id))
                    {
                        model.Adapters.Unregister(status.Id);
                        LogUnregistered(logger, status.Id);
                    }
                }
                foreach (var specialist in current.Specialists.Where(specialist => specialist.BaseModel == model.Id))
                {
                    var before = previous.FindSpecialist(specialist.Id);
                    if (before is null || Same(before, specialist)) continue;
                    foreach (var adapter in specialist.Adapters)
                    {
                        var id = SpecialistAdapters.AdapterId(specialist.Id, adapter.Path);
                        if (model.Adapters.Contains(id)) model.Adapters.Refresh(id);
                    }
                }
            }
            LogApplied(logger, current.Version, current.Specialists.Count);
            previous = current;
        }
    }

    private static bool Same(SpecialistDefinition left, SpecialistDefinition right) =>
        JsonSerializer.Serialize(left) == JsonSerializer.Serialize(right);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adapter {AdapterId} unregistered: its specialist left the catalog or changed its adapters")]
    private static partial void LogUnregistered(ILogger logger, string adapterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog {Version} applied: {Count} specialists")]
    private static partial void LogApplied(ILogger logger, string version, int count);
}
