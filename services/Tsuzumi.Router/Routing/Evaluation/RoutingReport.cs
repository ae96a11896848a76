using System.Globalization;
using System.Text;
using System.Text.Json;
using Tsuzumi.Catalog;

namespace Tsuzumi.Router.Routing.Evaluation;

/// <summary>Top-1 accuracy of one slice with each signal alone and combined: how much each signal carries.</summary>
public sealed record RoutingAblation(string Set, string Lang, double Hybrid, double EmbeddingOnly, double LexicalOnly);

/// <summary>The <c>tsuzumi eval routing</c> report: the hybrid router's scores per set and language, and the ablation.</summary>
public sealed record RoutingReport(
    string CatalogVersion,
    string Embedder,
    IReadOnlyList<RoutingSliceResult> Results,
    IReadOnlyList<RoutingAblation> Ablation,
    IReadOnlyList<RoutingMiss> Misses)
{
    /// <summary>Per set, how many of the catalog's labelled queries it was scored without (its own queries).</summary>
    public IReadOnlyDictionary<string, int> HeldOutLabelledQueries { get; init; } = new Dictionary<string, int>();

    /// <summary>How many labelled queries the catalog has in all.</summary>
    public int LabelledQueries { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Evaluates the hybrid router and both single-signal routers over every set, each set without the labelled
    /// queries that repeat its own (<see cref="LeaveSetOutCatalogSource"/>).
    /// </summary>
    public static RoutingReport Run(ConstellationCatalog full, ISentenceEmbedder embedder, IReadOnlyList<RoutingSet> sets, string? tenantOverride = null,
        RoutingTuning? tuning = null, RoutingEmbeddingCache? embeddingCache = null)
    {
        tuning ??= new RoutingTuning();
        var catalog = new LeaveSetOutCatalogSource(full);
        var heldOut = new Dictionary<string, int>();
        var results = new List<RoutingSliceResult>();
        var misses = new List<RoutingMiss>();
        var ablation = new Dictionary<(string Set, string Lang), double[]>();
        var signals = new[] { RoutingSignals.Hybrid, RoutingSignals.EmbeddingOnly, RoutingSignals.LexicalOnly };
        for (var mode = 0; mode < signals.Length; mode++)
        {
            using var router = new HybridSpecialistRouter(catalog, embedder, tuning with { Signals = signals[mode] }, embeddingCache);
            foreach (var set in sets)
            {
                catalog.HoldOut(set);
                heldOut[set.Name] = catalog.HeldOut;
                var (slices, setMisses) = RoutingEvaluator.Evaluate(router, catalog.Current, set, tenantOverride, timedPasses: mode == 0 ? 3 : 0);
                if (mode == 0)
                {
                    results.AddRange(slices);
                    misses.AddRange(setMisses);
                }
                foreach (var slice in slices)
                {
                    if (!ablation.TryGetValue((slice.Set, slice.Lang), out var row)) ablation[(slice.Set, slice.Lang)] = row = new double[signals.Length];
                    row[mode] = slice.Top1Accuracy;
                }
            }
        }
        return new RoutingReport(full.Version, embedder.Name, results,
            ablation.Select(entry => new RoutingAblation(entry.Key.Set, entry.Key.Lang, entry.Value[0], entry.Value[1], entry.Value[2])).ToArray(),
            misses)
        {
            HeldOutLabelledQueries = heldOut,
            LabelledQueries = full.Specialists.Sum(specialist => specialist.LabelledQueries.Count),
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToText(bool withMisses)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"catalog {CatalogVersion}, embedder {Embedder}"));
        if (LabelledQueries > 0)
        {
            text.AppendLine(Invariant($"labelled queries {LabelledQueries}; each set is scored without those that repeat its own queries:"));
            text.AppendLine("  " + string.Join(", ", HeldOutLabelledQueries.Select(entry => Invariant($"{entry.Key} −{entry.Value}"))));
        }
        text.AppendLine(Invariant($"{"set",-18} {"lang",-4} {"n",4} {"top-1",7} {"multi-rec",9} {"ood→fb",7} {"extra",6} {"leaks",5} {"p50 ms",7} {"p99 ms",7} {"cpu p50",7} {"cpu p99",7}"));
        foreach (var row in Results)
        {
            text.AppendLine(Invariant(
                $"{row.Set,-18} {row.Lang,-4} {row.Queries,4} {Percent(row.Top1Accuracy),7} {Percent(row.MultiDomainRecall),9} {Percent(row.OutOfDomainFallbackAccuracy),7} {Percent(row.ExtraChoiceRate),6} {row.TenantLeaks,5} {row.LatencyP50Ms,7:0.00} {row.LatencyP99Ms,7:0.00} {row.CpuP50Ms,7:0.00} {row.CpuP99Ms,7:0.00}"));
        }
        text.AppendLine();
        text.AppendLine(Invariant($"{"top-1 ablation",-18} {"lang",-4} {"hybrid",7} {"embed",7} {"lexical",7}"));
        foreach (var row in Ablation)
            text.AppendLine(Invariant($"{row.Set,-18} {row.Lang,-4} {Percent(row.Hybrid),7} {Percent(row.EmbeddingOnly),7} {Percent(row.LexicalOnly),7}"));
        if (withMisses && Misses.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("misses:");
            foreach (var miss in Misses)
                text.AppendLine($"  [{miss.Set}/{miss.Tenant}] {miss.Query} — expected {string.Join('+', miss.Expected)}, chose {string.Join('+', miss.Chosen)} ({miss.Candidates})");
        }
        return text.ToString();
    }

    private static string Percent(double value) => double.IsNaN(value) ? "-" : Invariant($"{value * 100:0.0}%");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
