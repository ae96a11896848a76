using Microsoft.Extensions.Configuration;
using Tsuzumi.Catalog;
using Tsuzumi.Inference.Serving;

namespace Tsuzumi.Silo.Hosting;

/// <summary>Which base models this silo hosts (<c>Silo:BaseModels</c>) and the limits of their engines.</summary>
public sealed record ModelHostOptions
{
    public const string Section = "Silo";

    /// <summary>The silo metadata key that advertises the hosted base model ids (comma-separated) to placement.</summary>
    public const string MetadataKey = "tsuzumi.base-models";

    /// <summary>Base model ids, or <c>*</c> for every base model of the catalog; empty = hosts none (a routing-only silo).</summary>
    public IReadOnlyList<string> BaseModels { get; init; } = [];

    /// <summary>Adapter weights kept resident per base model before the least recently used are evicted.</summary>
    public long AdapterMemoryBudgetBytes { get; init; } = 1L << 30;

    public int MaxBatchSize { get; init; } = 16;

    public int MaxQueueLength { get; init; } = 64;

    /// <summary>
    /// How long an idle engine holds one query's asks for their siblings on the same model (<c>Silo:PrefillGroupWaitMs</c>),
    /// so that a fan-out prefills in one forward; 0 turns the wait off (e.g. where a model's specialists are spread over silos).
    /// </summary>
    public TimeSpan PrefillGroupWait { get; init; } = new EngineOptions().GroupWait;

    /// <summary>Reads <c>Silo:BaseModels</c> as a list (<c>Silo:BaseModels:0</c>…) or one comma-separated value.</summary>
    public static ModelHostOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var models = section.GetSection("BaseModels");
        var ids = models.Value is { } single
            ? single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : models.GetChildren().Select(child => child.Value?.Trim()).OfType<string>().Where(id => id.Length > 0).ToArray();
        var defaults = new ModelHostOptions();
        var options = new ModelHostOptions
        {
            BaseModels = ids,
            AdapterMemoryBudgetBytes = section.GetValue("AdapterMemoryBudgetMB", defaults.AdapterMemoryBudgetBytes >> 20) << 20,
            MaxBatchSize = section.GetValue("MaxBatchSize", defaults.MaxBatchSize),
            MaxQueueLength = section.GetValue("MaxQueueLength", defaults.MaxQueueLength),
            PrefillGroupWait = TimeSpan.FromMilliseconds(section.GetValue("PrefillGroupWaitMs", defaults.PrefillGroupWait.TotalMilliseconds)),
        };
        if (options.AdapterMemoryBudgetBytes <= 0) throw new InvalidOperationException("Silo:AdapterMemoryBudgetMB must be positive");
        if (options.MaxBatchSize < 1) throw new InvalidOperationException("Silo:MaxBatchSize must be at least 1");
        if (options.MaxQueueLength < 0) throw new InvalidOperationException("Silo:MaxQueueLength must be ≥ 0");
        if (options.PrefillGroupWait < TimeSpan.Zero) throw new InvalidOperationException("Silo:PrefillGroupWaitMs must be ≥ 0");
        return options;
    }

    /// <summary>The ids this silo hosts under <paramref name="catalog"/>; an id the catalog lacks is a configuration error.</summary>
    public IReadOnlyList<string> ResolveHosted(ConstellationCatalog catalog)
    {
        if (BaseModels.Contains("*")) return catalog.BaseModels.Select(model => model.Id).ToArray();
        var missing = BaseModels.Where(id => catalog.FindBaseModel(id) is null).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"Silo:BaseModels names {string.Join(", ", missing.Select(id => $"'{id}'"))}, which the catalog does not declare as a usable base model " +
                $"(it has: {string.Join(", ", catalog.BaseModels.Select(model => model.Id))})");
        }
        return BaseModels.Distinct().ToArray();
    }
}
