using System.Diagnostics;
using Tsuzumi.Catalog;

namespace Tsuzumi.Router.Routing.Evaluation;

/// <summary>The scores of one slice (a set, in one language or both) under one router.</summary>
public sealed record RoutingSliceResult(
    string Set,
    string Lang,
    int Queries,
    double Top1Accuracy,
    double MultiDomainRecall,
    double OutOfDomainFallbackAccuracy,
    double ExtraChoiceRate,
    int TenantLeaks,
    double LatencyP50Ms,
    double LatencyP99Ms,
    double CpuP50Ms,
    double CpuP99Ms);

/// <summary>A query the router got wrong: top-1 not expected, or an expected multi-domain specialist missing.</summary>
public sealed record RoutingMiss(string Set, string Query, string Tenant, IReadOnlyList<string> Expected, IReadOnlyList<string> Chosen, string Candidates);

/// <summary>Runs a router over labelled sets and scores it.</summary>
public static class RoutingEvaluator
{
    /// <param name="timedPasses">Passes over the set whose decision latency is recorded, after one warm-up pass.</param>
    public static (IReadOnlyList<RoutingSliceResult> Slices, IReadOnlyList<RoutingMiss> Misses) Evaluate(
        ISpecialistRouter router, ConstellationCatalog catalog, RoutingSet set, string? tenantOverride = null, int timedPasses = 3)
    {
        var outcomes = new List<(RoutingSetItem Item, string Tenant, RouteDecision Decision, int Index)>();
        for (var i = 0; i < set.Items.Count; i++)
        {
            var tenant = tenantOverride ?? set.Items[i].Tenant;
            outcomes.Add((set.Items[i], tenant, router.Route(set.Items[i].Query, tenant), i));
        }
        var latencies = set.Items.Select(_ => new List<double>(timedPasses)).ToArray();
        var cpuTimes = set.Items.Select(_ => new List<double>(timedPasses)).ToArray();
        var stopwatch = new Stopwatch();
        for (var pass = 0; pass < timedPasses; pass++)
        {
            for (var i = 0; i < set.Items.Count; i++)
            {
                var cpuStart = ThreadCpuClock.NowMilliseconds();
                stopwatch.Restart();
                router.Route(set.Items[i].Query, tenantOverride ?? set.Items[i].Tenant);
                stopwatch.Stop();
                latencies[i].Add(stopwatch.Elapsed.TotalMilliseconds);
                cpuTimes[i].Add(ThreadCpuClock.NowMilliseconds() - cpuStart);
            }
        }

        var slices = new List<RoutingSliceResult>();
        foreach (var lang in new[] { "all", "en", "ja" })
        {
            var slice = outcomes.Where(outcome => lang == "all" || outcome.Item.Lang == lang).ToArray();
            if (slice.Length == 0) continue;
            var multi = slice.Where(outcome => outcome.Item.Kind == RoutingSetItem.Multi).ToArray();
            var outOfDomain = slice.Where(outcome => outcome.Item.Kind == RoutingSetItem.OutOfDomain).ToArray();
            var single = slice.Where(outcome => outcome.Item.Kind == RoutingSetItem.Single).ToArray();
            var times = slice.SelectMany(outcome => latencies[outcome.Index]).Order().ToArray();
            var cpu = slice.SelectMany(outcome => cpuTimes[outcome.Index]).Order().ToArray();
            slices.Add(new RoutingSliceResult(
                set.Name,
                lang,
                slice.Length,
                Share(slice, outcome => IsTop1Correct(outcome.Item, outcome.Decision)),
                multi.Length == 0 ? double.NaN
                    : (double)multi.Sum(outcome => outcome.Item.Expected.Count(outcome.Decision.Chosen.Contains)) / multi.Sum(outcome => outcome.Item.Expected.Count),
                outOfDomain.Length == 0 ? double.NaN
                    : Share(outOfDomain, outcome => outcome.Decision.Chosen.SequenceEqual([catalog.Routing.Fallback])),
                single.Length == 0 ? double.NaN : Share(single, outcome => outcome.Decision.Chosen.Count > 1),
                slice.Count(outcome => Leaks(catalog, outcome.Tenant, outcome.Decision)),
                Percentile(times, 0.50),
                Percentile(times, 0.99),
                Percentile(cpu, 0.50),
                Percentile(cpu, 0.99)));
        }
        var misses = outcomes
            .Where(outcome => !IsTop1Correct(outcome.Item, outcome.Decision)
                              || outcome.Item.Kind == RoutingSetItem.Multi && !outcome.Item.Expected.All(outcome.Decision.Chosen.Contains))
            .Select(outcome => new RoutingMiss(set.Name, outcome.Item.Query, outcome.Tenant, outcome.Item.Expected, outcome.Decision.Chosen,
                string.Join(' ', outcome.Decision.Candidates.Select(candidate => $"{candidate.Id}={candidate.Score:0.000}"))))
            .ToArray();
        return (slices, misses);
    }

    /// <summary>The first chosen specialist is one of the expected ones.</summary>
    public static bool IsTop1Correct(RoutingSetItem item, RouteDecision decision) =>
        decision.Chosen.Count > 0 && item.Expected.Contains(decision.Chosen[0]);

    /// <summary>A specialist the tenant may not use appears among the candidates or the chosen.</summary>
    public static bool Leaks(ConstellationCatalog catalog, string tenant, RouteDecision decision) =>
        decision.Candidates.Select(candidate => candidate.Id).Concat(decision.Chosen)
            .Any(id => catalog.FindSpecialist(id) is not { } specialist || !specialist.IsVisibleTo(tenant));

    private static double Share<T>(IReadOnlyCollection<T> items, Func<T, bool> predicate) => (double)items.Count(predicate) / items.Count;

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
}
