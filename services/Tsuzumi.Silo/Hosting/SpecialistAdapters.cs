using Tsuzumi.Catalog;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Serving;

namespace Tsuzumi.Silo.Hosting;

/// <summary>How a specialist's catalog adapters map onto its base model's <see cref="AdapterRegistry"/>.</summary>
public static class SpecialistAdapters
{
    /// <summary>One registry id per specialist and adapter folder: two specialists sharing a folder still reload independently.</summary>
    public static string AdapterId(string specialistId, string adapterPath) => $"{specialistId}:{adapterPath}";

    /// <summary>Registers the specialist's adapters (a no-op when already registered) and returns what a request applies.</summary>
    /// A version published for the specialist (<paramref name="published"/>) takes the place of its catalog folder.
    public static IReadOnlyList<AdapterSelection> Ensure(AdapterRegistry registry, SpecialistDefinition specialist, AdapterLifecycle.PublishedAdapterVersions? published = null)
    {
        var selections = new List<AdapterSelection>(specialist.Adapters.Count);
        var publishedVersion = specialist.Adapters.Count == 1 ? published?.Find(specialist.Id) : null;
        foreach (var adapter in specialist.Adapters)
        {
            var id = AdapterId(specialist.Id, adapter.Path);
            registry.Register(id, publishedVersion?.Directory ?? adapter.Path);
            selections.Add(new AdapterSelection(id, adapter.Weight));
        }
        return selections;
    }

    /// <summary>Ids the specialists of <paramref name="baseModelId"/> in <paramref name="catalog"/> use.</summary>
    public static IReadOnlySet<string> InUse(ConstellationCatalog catalog, string baseModelId) =>
        catalog.Specialists.Where(specialist => specialist.BaseModel == baseModelId)
            .SelectMany(specialist => specialist.Adapters.Select(adapter => AdapterId(specialist.Id, adapter.Path)))
            .ToHashSet(StringComparer.Ordinal);
}
