using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench lora</c>: multi-adapter decode on the synthetic 0.5B-class model (bf16) — a batch of requests on
/// one adapter, on different adapters, on the base, and the different adapters served one after another (what a
/// single-adapter server such as llama.cpp does); then adapter cold-load latency and resident memory of many adapters.
/// </summary>
internal static class LoraCommand
{
    public static Command Create()
    {
        var adapters = new Option<int>("--adapters") { Description = "Requests in the batch, one distinct adapter each", DefaultValueFactory = _ => 8 };
        var rank = new Option<int>("--rank") { Description = "Rank of the served adapters (all seven linear layers)", DefaultValueFactory = _ => 16 };
        var tokens = new Option<int>("--tokens") { Description = "Decode steps per request (timed)", DefaultValueFactory = _ => 32 };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds per scenario, alternating; the best counts", DefaultValueFactory = _ => 2 };
        var loads = new Option<int>("--loads") { Description = "Cold loads timed for the latency percentiles", DefaultValueFactory = _ => 20 };
        var resident = new Option<int>("--resident") { Description = "Rank-8 adapters registered and loaded for the memory figure", DefaultValueFactory = _ => 100 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var cacheDirectory = new Option<string?>("--cache-dir") { Description = "Where the synthetic model and adapters are written (default: artifacts/bench)" };

        var command = new Command("lora", "Multi-LoRA decode throughput (same vs different adapters vs base vs one after another), adapter cold load, memory")
        {
            adapters, rank, tokens, rounds, loads, resident, threads, cacheDirectory,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(adapters) < 1 || parse.GetValue(rank) < 1 || parse.GetValue(tokens) < 1 || parse.GetValue(rounds) < 1
                || parse.GetValue(loads) < 1 || parse.GetValue(resident) < 0 || parse.GetValue(threads) < 1)
            {
                Console.Error.WriteLine("tsuzumi bench lora: every count must be positive");
                return 2;
            }
            Run(parse.GetValue(adapters), parse.GetValue(rank), parse.GetValue(tokens), parse.GetValue(rounds), parse.GetValue(loads),
                parse.GetValue(resident), parse.GetValue(threads), parse.GetValue(cacheDirectory) ?? Path.Combine(DecodeCommand.RepositoryRoot(), "artifacts", "bench"));
            return 0;
        });
        return command;
    }

    private static void Run(int count, int rank, int steps, int rounds, int loads, int residentCount, int threads, string cacheDirectory)
    {
        set_num_threads(threads);
        var modelPath = SyntheticLlama.EnsureWritten(Path.Combine(cacheDirectory, "synthetic-0.5b-f16.gguf"), GgufTensorType.F16, Console.Error);
        var baselineBytes = CurrentResidentBytes();
        using var checkpoint = GgufCheckpointReader.Read(modelPath);
        using var model = LlamaForCausalLM.Load(checkpoint, ScalarType.BFloat16);
        var baseResidentBytes = CurrentResidentBytes();
        Console.Error.WriteLine($"model: {modelPath} (bf16), {count} requests × {steps} decode steps, rank-{rank} adapters on all linear layers, {threads} threads");

        var adapterDirectory = Path.Combine(cacheDirectory, "lora");
        var served = Enumerable.Range(0, count).Select(index => WriteAdapter(adapterDirectory, $"r{rank}-{index}", rank, seed: 100 + index)).ToArray();
        using var registry = new AdapterRegistry(model.Config, long.MaxValue);
        foreach (var (id, directory) in served) registry.Register(id, directory);
        var leases = served.Select(adapter => registry.Acquire(adapter.Id)).ToArray();
        var loaded = leases.Select(lease => lease.Adapter).ToArray();

        var scenarios = new (string Name, Func<double> Run)[]
        {
            ("(a) batch, all on one adapter", () => Batched(model, Enumerable.Repeat(loaded[0], count).ToArray(), steps)),
            ("(b) batch, a different adapter each", () => Batched(model, loaded, steps)),
            ("(c) batch, base only", () => Batched(model, Enumerable.Repeat<LoraAdapter?>(null, count).ToArray(), steps)),
            ("(d) one after another, a different adapter each", () => OneAfterAnother(model, loaded, steps)),
            // (b) again with the few-row kernels off (TSUZUMI_KERNEL_ROWS=1): batch projections through libtorch's GEMM.
            ("(b′) as (b), batch projections through libtorch", () => WithKernelRowLimit(1, () => Batched(model, loaded, steps))),
        };
        Batched(model, loaded, 2); // warm-up: converts the adapters to bf16 and JITs the paths
        var best = scenarios.ToDictionary(scenario => scenario.Name, _ => 0.0);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, run) in scenarios.Skip(round % scenarios.Length).Concat(scenarios.Take(round % scenarios.Length)))
                best[name] = Math.Max(best[name], run());
        }

        var coldLoads = ColdLoadMilliseconds(model.Config, served[0].Directory, loads);
        foreach (var lease in leases) lease.Dispose();

        var (residentBase, residentWithAdapters, adapterBytes) = ResidentMemory(model.Config, adapterDirectory, residentCount);

        var a = best[scenarios[0].Name];
        var b = best[scenarios[1].Name];
        var c = best[scenarios[2].Name];
        var d = best[scenarios[3].Name];
        var libtorchB = best[scenarios[4].Name];
        var report = new System.Text.StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"| scenario | decode tok/s (all requests) |");
        report.AppendLine("|---|--:|");
        foreach (var (name, _) in scenarios) report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {best[name]:F1} |");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"(b)/(a) = {b / a:F2}× (target ≥ 0.9) · (b)/(d) = {b / d:F2}× (target ≥ 4) · (b)/(c) = {b / c:F2}× · (b′)/(d) = {libtorchB / d:F2}× · (b)/(b′) = {b / libtorchB:F2}×");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"cold load of one rank-{rank} adapter (disk → validated, ready to serve), {loads} loads: p50 {Percentile(coldLoads, 0.5):F1} ms, p95 {Percentile(coldLoads, 0.95):F1} ms (target p95 < 50 ms)");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"resident memory: process {baselineBytes / 1e6:F0} MB before the model, {baseResidentBytes / 1e6:F0} MB with the base (bf16); base alone in the memory test {residentBase / 1e6:F0} MB, with {residentCount} rank-8 adapters loaded {residentWithAdapters / 1e6:F0} MB (+{(residentWithAdapters - residentBase) / 1e6:F0} MB; adapter tensors {adapterBytes / 1e6:F0} MB fp32)");
        Console.WriteLine(report.ToString());
    }

    /// <summary>All requests in one batch: prefill each, then decode them together. Returns decoded tokens per second, all rows.</summary>
    private static double Batched(LlamaForCausalLM model, IReadOnlyList<LoraAdapter?> adapters, int steps)
    {
        var caches = adapters.Select(_ => model.CreateCache()).ToArray();
        try
        {
            using var batch = new AdapterBatch(adapters.Select(adapter => adapter is null
                ? (IReadOnlyList<WeightedAdapter>)[]
                : [new WeightedAdapter(adapter)]).ToArray(), ScalarType.Float32);
            var next = new long[adapters.Count];
            for (var row = 0; row < adapters.Count; row++)
            {
                using var single = new AdapterBatch([adapters[row] is { } adapter ? [new WeightedAdapter(adapter)] : []], ScalarType.Float32);
                using var scope = NewDisposeScope();
                next[row] = model.Forward(tensor(Prompt(row), new long[] { 1, 16 }), [caches[row]], adapters: single).argmax().item<long>();
            }
            var clock = Stopwatch.StartNew();
            for (var step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                var logits = model.Forward(tensor(next, new long[] { adapters.Count, 1 }), caches, adapters: batch); // [rows, 1, vocab]
                next = logits.argmax(-1).reshape(-1).data<long>().ToArray();
            }
            return adapters.Count * steps / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
    }

    private static double WithKernelRowLimit(int rows, Func<double> run)
    {
        var saved = SingleRowProjection.RowLimit;
        SingleRowProjection.RowLimit = rows;
        try
        {
            return run();
        }
        finally
        {
            SingleRowProjection.RowLimit = saved;
        }
    }

    /// <summary>Each request alone with its adapter, one after another. Returns decoded tokens per second over the whole sequence.</summary>
    private static double OneAfterAnother(LlamaForCausalLM model, IReadOnlyList<LoraAdapter> adapters, int steps)
    {
        var decodeSeconds = 0.0;
        for (var row = 0; row < adapters.Count; row++)
        {
            using var cache = model.CreateCache();
            using var batch = new AdapterBatch([[new WeightedAdapter(adapters[row])]], ScalarType.Float32);
            long next;
            using (var scope = NewDisposeScope()) next = model.Forward(tensor(Prompt(row), new long[] { 1, 16 }), [cache], adapters: batch).argmax().item<long>();
            var clock = Stopwatch.StartNew();
            for (var step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                next = model.Forward(tensor(new[] { next }, new long[] { 1, 1 }), [cache], adapters: batch).argmax().item<long>();
            }
            decodeSeconds += clock.Elapsed.TotalSeconds;
        }
        return adapters.Count * steps / decodeSeconds;
    }

    private static double[] ColdLoadMilliseconds(LlamaConfig config, string directory, int loads)
    {
        var times = new double[loads];
        for (var i = 0; i < loads; i++)
        {
            var clock = Stopwatch.StartNew();
            using var adapter = PeftAdapterFormat.Load(directory, config); // ready to serve: fp32, validated
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        return times;
    }

    private static (long Base, long WithAdapters, long AdapterBytes) ResidentMemory(LlamaConfig config, string directory, int count)
    {
        GC.Collect();
        var before = CurrentResidentBytes();
        using var registry = new AdapterRegistry(config, long.MaxValue);
        for (var i = 0; i < count; i++)
        {
            var (id, path) = WriteAdapter(directory, $"r8-{i}", 8, seed: 1000 + i);
            registry.Register(id, path);
        }
        var leases = Enumerable.Range(0, count).Select(i => registry.Acquire($"r8-{i}")).ToArray();
        GC.Collect();
        var after = CurrentResidentBytes();
        var bytes = registry.ResidentBytes;
        foreach (var lease in leases) lease.Dispose();
        return (before, after, bytes);
    }

    /// <summary>A seeded random adapter on all seven linear layers of the synthetic model, written once and reused.</summary>
    internal static (string Id, string Directory) WriteAdapter(string root, string id, int rank, int seed)
    {
        var directory = Path.Combine(root, id);
        if (File.Exists(Path.Combine(directory, PeftAdapterFormat.WeightsFileName))) return (id, directory);
        var generator = new Generator((ulong)seed);
        var pairs = new Dictionary<string, LoraPair>();
        for (var layer = 0; layer < SyntheticLlama.Config.NumHiddenLayers; layer++)
        {
            foreach (var target in LoraTargets.Layers)
            {
                var (inFeatures, outFeatures) = LoraTargets.Shape(SyntheticLlama.Config, target);
                pairs[LoraTargets.ModulePath(layer, target)] = new LoraPair(
                    randn(new long[] { rank, inFeatures }, generator: generator).Times(0.01),
                    randn(new long[] { outFeatures, rank }, generator: generator).Times(0.01));
            }
        }
        using var adapter = new LoraAdapter(id, "bench", new LoraConfig(rank, 2 * rank, LoraTargets.Layers), pairs);
        PeftAdapterFormat.Save(adapter, directory);
        return (id, directory);
    }

    private static long[] Prompt(int row) => Enumerable.Range(0, 16).Select(i => (long)(1 + (row * 131 + i * 17) % 31999)).ToArray();

    internal static double Percentile(double[] values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(fraction * sorted.Length) - 1)];
    }

    /// <summary>Resident set size from /proc (the .NET working set includes nothing else on Linux either).</summary>
    private static long CurrentResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
