using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench kernel</c>: one activation row (or <c>--rows</c> of them) times each weight shape of the 0.5B-class model, through the C#
/// few-row kernel and through libtorch's <c>linear</c>, as weight bytes streamed per second. Separates the matrix
/// kernels from everything else a decode step does.
/// </summary>
internal static class KernelCommand
{
    public static Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "Compute threads", DefaultValueFactory = _ => 2 };
        var repeats = new Option<int>("--repeats") { Description = "Products timed per shape (best of 3 runs)", DefaultValueFactory = _ => 40 };
        var rows = new Option<int>("--rows") { Description = "Activation rows per product (a batch of decode steps)", DefaultValueFactory = _ => 1 };
        var command = new Command("kernel", "Projection speed (GB/s of weights) of the C# few-row kernel vs libtorch linear") { threads, repeats, rows };
        command.SetAction(parse =>
        {
            Run(parse.GetValue(threads), Math.Max(1, parse.GetValue(repeats)), Math.Max(1, parse.GetValue(rows)));
            return 0;
        });
        return command;
    }

    private static void Run(int threadCount, int repeats, int rowCount)
    {
        set_num_threads(threadCount);
        var config = SyntheticLlama.Config;
        var kv = config.NumKeyValueHeads * config.ResolvedHeadDim;
        (string Name, long Out, long In)[] shapes =
        [
            ("q+k+v", config.HiddenSize + 2 * kv, config.HiddenSize),
            ("o", config.HiddenSize, config.HiddenSize),
            ("gate+up", 2 * config.IntermediateSize, config.HiddenSize),
            ("down", config.HiddenSize, config.IntermediateSize),
            ("lm_head", config.VocabSize, config.HiddenSize),
        ];
        Console.WriteLine($"{threadCount} threads, {rowCount} activation rows; GB/s of weights read, best of 3 runs of {repeats} products; " +
                          $"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, AVX-512F: {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}");
        Console.WriteLine("| shape | dtype | C# kernel GB/s | libtorch linear GB/s |");
        Console.WriteLine("|---|---|--:|--:|");
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float32 })
        {
            foreach (var (name, outFeatures, inFeatures) in shapes)
            {
                using var scope = NewDisposeScope();
                // Enough copies to total 256 MiB, taken in turn: a matrix read again straight away would come from the
                // last-level cache, which a decode step (0.9–1.8 GB of weights) never does.
                var bytes = outFeatures * inFeatures * (dtype == ScalarType.Float32 ? 4L : 2L);
                var weights = Enumerable.Range(0, (int)Math.Max(2, (256L << 20) / bytes)).Select(_ => randn(outFeatures, inFeatures).to(dtype)).ToArray();
                var input = randn(rowCount, 1, inFeatures).to(dtype);
                var next = 0;
                var kernel = BytesPerSecond(bytes, repeats, () => SingleRowProjection.Multiply(input, weights[next++ % weights.Length], null).Dispose());
                var libtorch = BytesPerSecond(bytes, repeats, () => nn.functional.linear(input, weights[next++ % weights.Length]).Dispose());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} [{outFeatures}×{inFeatures}] | {(dtype == ScalarType.Float32 ? "fp32" : "bf16")} | {kernel / 1e9:F1} | {libtorch / 1e9:F1} |"));
            }
        }
    }

    private static double BytesPerSecond(long bytes, int repeats, Action product)
    {
        for (var i = 0; i < 3; i++) product(); // warm-up: JIT, first touch
        var best = double.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < repeats; i++) product();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / repeats);
        }
        return bytes / best;
    }
}
