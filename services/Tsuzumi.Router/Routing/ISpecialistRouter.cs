namespace Tsuzumi.Router.Routing;

/// <summary>A specialist and how well a query fits it (higher is better; comparable to the route thresholds).</summary>
public sealed record RouteCandidate(string Id, double Score);

/// <summary>
/// The routing decision for one query: every candidate visible to the tenant with its score (best first), the chosen
/// ids, and whether nothing fit so the fallback (general) was chosen.
/// </summary>
public sealed record RouteDecision(IReadOnlyList<RouteCandidate> Candidates, IReadOnlyList<string> Chosen, bool FellBack);

/// <summary>Chooses the specialists for a query among those the tenant may use, over the current catalog.</summary>
public interface ISpecialistRouter
{
    RouteDecision Route(string query, string tenant);
}
