using System.Text.RegularExpressions;
using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>
/// A small real router for these tests only (the service's router lives in Routing/): a specialist's score is the
/// share of the query's words found in its description and examples; the best ones over the threshold are chosen,
/// else the fallback. Only specialists the tenant may use are candidates.
/// </summary>
public sealed partial class OverlapRouter(ICatalogSource catalog) : ISpecialistRouter
{
    public RouteDecision Route(string query, string tenant)
    {
        var current = catalog.Current;
        var queryWords = Words(query);
        var candidates = current.VisibleTo(tenant)
            .Select(specialist =>
            {
                var known = Words(specialist.Description + " " + string.Join(' ', specialist.Examples));
                var score = queryWords.Count == 0 ? 0 : (double)queryWords.Count(known.Contains) / queryWords.Count;
                return (Specialist: specialist, Candidate: new RouteCandidate(specialist.Id, score));
            })
            .OrderByDescending(entry => entry.Candidate.Score)
            .ToArray();
        var chosen = candidates
            .Where(entry => !entry.Specialist.IsFallback && entry.Candidate.Score >= (entry.Specialist.RouteThreshold ?? current.Routing.Threshold))
            .Take(current.Routing.TopK)
            .Select(entry => entry.Candidate.Id)
            .ToArray();
        if (chosen.Length > 0) return new RouteDecision(candidates.Select(entry => entry.Candidate).ToArray(), chosen, false);
        var fallback = candidates.Any(entry => entry.Specialist.Id == current.Routing.Fallback) ? new[] { current.Routing.Fallback } : [];
        return new RouteDecision(candidates.Select(entry => entry.Candidate).ToArray(), fallback, true);
    }

    private static HashSet<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(match => match.Value).Where(word => word.Length > 2).ToHashSet();

    [GeneratedRegex(@"\p{L}+|\d+")]
    private static partial Regex WordPattern();
}
