using Tsuzumi.Catalog;

namespace Tsuzumi.Router.Routing.Evaluation;

/// <summary>
/// The catalog a labelled set is scored against: the full catalog minus every labelled query that repeats one of the
/// set's own queries (<see cref="RoutingSet.Comparable"/>), so that no set is scored on its own labels. The catalog's
/// labelled queries come from the older sets (decision 0029), so each of those is scored as if it were unseen, and a
/// new blind set, which lent nothing, is scored against the catalog as it is.
/// </summary>
public sealed class LeaveSetOutCatalogSource : ICatalogSource
{
    private readonly ConstellationCatalog full;

    public LeaveSetOutCatalogSource(ConstellationCatalog full)
    {
        this.full = full;
        Current = full;
    }

    public ConstellationCatalog Current { get; private set; }

    /// <summary>Raised on each <see cref="HoldOut"/> that changes the catalog: a router re-embeds only what changed.</summary>
    public event Action<ConstellationCatalog>? Changed;

    /// <summary>How many labelled queries the current catalog lacks.</summary>
    public int HeldOut { get; private set; }

    /// <summary>Makes <see cref="Current"/> the full catalog without the labelled queries that repeat a query of <paramref name="set"/>.</summary>
    public void HoldOut(RoutingSet set)
    {
        var queries = set.Items.Select(item => RoutingSet.Comparable(item.Query)).ToHashSet(StringComparer.Ordinal);
        var heldOut = 0;
        var specialists = full.Specialists.Select(specialist =>
        {
            var kept = specialist.LabelledQueries.Where(query => !queries.Contains(RoutingSet.Comparable(query))).ToArray();
            heldOut += specialist.LabelledQueries.Count - kept.Length;
            return specialist with { LabelledQueries = kept };
        }).ToArray();
        var next = heldOut == 0 ? full : full with { Specialists = specialists, Version = $"{full.Version}-without-{set.Name}" };
        HeldOut = heldOut;
        if (next.Version == Current.Version) return;
        Current = next;
        Changed?.Invoke(next);
    }
}
