using System.CommandLine;
using System.Diagnostics;
using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Routing.Evaluation;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench routing</c>: routing-decision latency per labelled set (every set in tests/Tsuzumi.Router.Tests/Routing),
/// the router's embedder against the package's own encoder (<see cref="PackagedMiniLmEmbedder"/>, the path it replaced),
/// in one process. First it checks that both sides decide every query alike (chosen, fallback and every candidate's
/// score) and embed it to the same bits; then it times them interleaved, query by query, alternating which side goes
/// first — one stream, then two concurrent streams (the router serves concurrent requests on a 2-core box).
/// </summary>
internal static class RoutingCommand
{
    private const string SetFolder = "tests/Tsuzumi.Router.Tests/Routing";


    public static Command Create()
    {
        var passes = new Option<int>("--passes") { Description = "Timed passes over every set per side (after one warm-up pass)", DefaultValueFactory = _ => 5 };
        var concurrentPasses = new Option<int>("--concurrent-passes") { Description = "Passes of the two-stream part per side (0 skips it)", DefaultValueFactory = _ => 2 };
        var command = new Command("routing", "Routing decision p50/p99 per set: the router's embedder against the package encoder it replaced, same decisions checked first")
        {
            passes, concurrentPasses,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(passes) < 1 || parse.GetValue(concurrentPasses) < 0)
            {
                Console.Error.WriteLine("tsuzumi bench routing: --passes ≥ 1, --concurrent-passes ≥ 0");
                return 2;
            }
            return Run(parse.GetValue(passes), parse.GetValue(concurrentPasses));
        });
        return command;
    }

    private static int Run(int passes, int concurrentPasses)
    {
        var root = DecodeCommand.RepositoryRoot();
        var catalog = CatalogLoader.Load(Path.Combine(root, "config", "constellation.json"), verifyFiles: false).Catalog;
        // Every labelled set, the tuning set first, then the held-out sets in the order they were written.
        var sets = Directory.GetFiles(Path.Combine(root, SetFolder), "routing-*.jsonl")
            .OrderBy(path => SetNumber(Path.GetFileNameWithoutExtension(path)))
            .Select(RoutingSet.Load).ToArray();
        Console.Error.WriteLine($"catalog {catalog.Version}, {sets.Sum(set => set.Items.Count)} queries in {sets.Length} sets; load average {MachineLoad.Average()}");

        using var packagedEmbedder = new PackagedMiniLmEmbedder();
        using var directEmbedder = new MiniLmSentenceEmbedder();
        var source = new StaticCatalogSource(catalog);
        using var packaged = new HybridSpecialistRouter(source, packagedEmbedder);
        using var direct = new HybridSpecialistRouter(source, directEmbedder);
        Side[] sides = [new("package encoder", packaged), new("direct", direct)];

        var (differentDecisions, differentVectors) = Compare(sets, packaged, direct, packagedEmbedder, directEmbedder);
        Console.WriteLine($"same decisions: {(differentDecisions == 0 ? "yes" : $"NO, {differentDecisions} differ")}; same vectors: {(differentVectors == 0 ? "yes" : $"NO, {differentVectors} differ")} ({sets.Sum(set => set.Items.Count)} queries)");

        Console.WriteLine();
        Console.WriteLine($"one stream, {passes} passes per side, interleaved (ms per decision; cpu = the calling thread's CPU time):");
        var single = sides.Select(side => sets.Select(set => new Samples()).ToArray()).ToArray();
        var stopwatch = new Stopwatch();
        for (var pass = 0; pass <= passes; pass++)
        {
            for (var set = 0; set < sets.Length; set++)
            {
                for (var query = 0; query < sets[set].Items.Count; query++)
                {
                    var item = sets[set].Items[query];
                    for (var turn = 0; turn < sides.Length; turn++)
                    {
                        var side = (query + pass + turn) % sides.Length; // alternate who goes first
                        var cpuStart = ThreadCpuClock.NowMilliseconds();
                        stopwatch.Restart();
                        sides[side].Router.Route(item.Query, item.Tenant);
                        stopwatch.Stop();
                        if (pass > 0) single[side][set].Add(stopwatch.Elapsed.TotalMilliseconds, ThreadCpuClock.NowMilliseconds() - cpuStart);
                    }
                }
            }
        }
        Print(sets, sides, single, withCpu: true);

        if (concurrentPasses == 0) return differentDecisions + differentVectors == 0 ? 0 : 1;
        Console.WriteLine();
        Console.WriteLine($"two concurrent streams over every set, {concurrentPasses} passes per side, sides alternating by pass (ms per decision, wall):");
        var concurrent = sides.Select(side => sets.Select(set => new Samples()).ToArray()).ToArray();
        for (var pass = 0; pass < concurrentPasses * sides.Length; pass++)
        {
            var side = pass % sides.Length;
            var streams = Enumerable.Range(0, 2).Select(stream => new Thread(() =>
            {
                var watch = new Stopwatch();
                for (var set = 0; set < sets.Length; set++)
                {
                    // The second stream walks each set from the other end, so the two rarely route the same query at once.
                    var items = stream == 0 ? sets[set].Items : sets[set].Items.Reverse().ToArray();
                    foreach (var item in items)
                    {
                        watch.Restart();
                        sides[side].Router.Route(item.Query, item.Tenant);
                        watch.Stop();
                        lock (concurrent) concurrent[side][set].Add(watch.Elapsed.TotalMilliseconds, double.NaN);
                    }
                }
            })).ToArray();
            foreach (var stream in streams) stream.Start();
            foreach (var stream in streams) stream.Join();
        }
        Print(sets, sides, concurrent, withCpu: false);
        Console.Error.WriteLine($"load average {MachineLoad.Average()}");
        return differentDecisions + differentVectors == 0 ? 0 : 1;
    }

    private static int SetNumber(string name) => name switch
    {
        "routing-set" => 0,
        "routing-heldout" => 1,
        _ when name.StartsWith("routing-heldout-", StringComparison.Ordinal) && int.TryParse(name["routing-heldout-".Length..], out var number) => number,
        _ => int.MaxValue,
    };

    /// <summary>Queries whose decisions differ between the two routers, and whose embeddings differ in any bit.</summary>
    private static (int Decisions, int Vectors) Compare(RoutingSet[] sets, ISpecialistRouter packaged, ISpecialistRouter direct,
        ISentenceEmbedder packagedEmbedder, ISentenceEmbedder directEmbedder)
    {
        int decisions = 0, vectors = 0;
        foreach (var item in sets.SelectMany(set => set.Items))
        {
            var before = packaged.Route(item.Query, item.Tenant);
            var after = direct.Route(item.Query, item.Tenant);
            if (!before.Chosen.SequenceEqual(after.Chosen) || before.FellBack != after.FellBack || !before.Candidates.SequenceEqual(after.Candidates))
            {
                decisions++;
                Console.Error.WriteLine($"different decision: {item.Query}");
            }
            if (!packagedEmbedder.Embed([item.Query])[0].AsSpan().SequenceEqual(directEmbedder.Embed([item.Query])[0])) vectors++;
        }
        return (decisions, vectors);
    }

    private static void Print(RoutingSet[] sets, Side[] sides, Samples[][] samples, bool withCpu)
    {
        var header = $"{"set",-18} {"n",4}";
        foreach (var side in sides) header += $" | {side.Name,-15} {"p50",6} {"p99",6}" + (withCpu ? $" {"cpu p99",7}" : "");
        Console.WriteLine(header + $" | {"p99 ratio",9}");
        for (var set = 0; set < sets.Length; set++)
        {
            var line = $"{sets[set].Name,-18} {sets[set].Items.Count,4}";
            foreach (var side in Enumerable.Range(0, sides.Length))
            {
                var sample = samples[side][set];
                line += $" | {"",-15} {sample.Wall(0.50),6:0.00} {sample.Wall(0.99),6:0.00}" + (withCpu ? $" {sample.Cpu(0.99),7:0.00}" : "");
            }
            Console.WriteLine(line + $" | {samples[0][set].Wall(0.99) / samples[1][set].Wall(0.99),8:0.00}×");
        }
    }

    private sealed record Side(string Name, ISpecialistRouter Router);

    private sealed class Samples
    {
        private readonly List<double> wall = [];
        private readonly List<double> cpu = [];

        public void Add(double wallMilliseconds, double cpuMilliseconds)
        {
            wall.Add(wallMilliseconds);
            cpu.Add(cpuMilliseconds);
        }

        public double Wall(double quantile) => Percentile(wall, quantile);

        public double Cpu(double quantile) => Percentile(cpu, quantile);

        private static double Percentile(List<double> values, double quantile)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
        }
    }
}
