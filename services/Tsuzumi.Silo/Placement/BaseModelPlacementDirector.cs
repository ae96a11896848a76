using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Placement;

/// <summary>
/// Picks, among the compatible silos, one whose silo metadata (<see cref="ModelHostOptions.MetadataKey"/>) lists the
/// specialist's base model: the local silo when it qualifies (no hop), else a random one. A specialist the catalog
/// does not know goes to any silo hosting some base model, where it answers unknown-specialist. With no such silo
/// the activation fails with an unavailable <see cref="SpecialistException"/>.
/// </summary>
public sealed class BaseModelPlacementDirector(ICatalogSource catalog, ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var specialistId = target.GrainIdentity.Key.ToString()!;
        var baseModel = catalog.Current.FindSpecialist(specialistId)?.BaseModel;
        var candidates = context.GetCompatibleSilos(target)
            .Where(candidate => HostedBy(candidate) is { Count: > 0 } hosted && (baseModel is null || hosted.Contains(baseModel)))
            .ToArray();
        if (candidates.Length == 0)
        {
            throw new SpecialistException(SpecialistFailureCodes.Unavailable, baseModel is null
                ? $"no silo hosts any base model, so '{specialistId}' cannot be placed"
                : $"no silo hosts base model '{baseModel}' of specialist '{specialistId}'");
        }
        var local = context.LocalSilo;
        return Task.FromResult(candidates.Contains(local) ? local : candidates[Random.Shared.Next(candidates.Length)]);
    }

    private IReadOnlySet<string> HostedBy(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(ModelHostOptions.MetadataKey, out var ids)
            ? ids.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();
}
