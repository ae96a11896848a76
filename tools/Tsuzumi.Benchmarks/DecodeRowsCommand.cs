using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench decode-rows</c>: what one decode step of several rows costs against one row, on the repository's
/// tsuzumi-nano (fp32, libtorch on one thread as the engine runs decode steps). Each row count runs twice, interleaved:
/// with a cache per sequence (attention once per row) and with the rows' caches in one <see cref="KvCachePool"/>
/// (one attention for the step). Rows sit at different cache lengths unless <c>--equal-lengths</c>.
/// </summary>
internal static class DecodeRowsCommand
{
    public static Command Create()
    {
        var rowCounts = new Option<string>("--rows") { Description = "Comma-separated row counts", DefaultValueFactory = _ => "1,2,3,4,8" };
        var steps = new Option<int>("--steps") { Description = "Decode steps timed per row count and layout (p50 counts)", DefaultValueFactory = _ => 48 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds over every row count and layout, alternating which goes first", DefaultValueFactory = _ => 3 };
        var equalLengths = new Option<bool>("--equal-lengths") { Description = "Every row at the same cache length (a fan-out's rows prefilled together)" };
        var model = new Option<string?>("--model") { Description = "Model folder or .gguf (default: models/tsuzumi-nano)" };
        var dtype = new Option<string>("--dtype") { Description = "f32 (as config/constellation.json serves tsuzumi-nano) or bf16", DefaultValueFactory = _ => "f32" };
        var command = new Command("decode-rows", "Decode step of 1..N rows: attention per row (a cache each) against one attention per step (pooled caches)")
        {
            rowCounts, steps, rounds, equalLengths, model, dtype,
        };
        command.SetAction(parse =>
        {
            var counts = parse.GetValue(rowCounts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(count => int.TryParse(count, CultureInfo.InvariantCulture, out var value) ? value : 0).ToArray();
            if (counts.Length == 0 || counts.Any(count => count < 1) || parse.GetValue(steps) < 1 || parse.GetValue(rounds) < 1
                || parse.GetValue(dtype) is not ("f32" or "bf16"))
            {
                Console.Error.WriteLine("tsuzumi bench decode-rows: --rows are positive integers; --steps and --rounds ≥ 1; --dtype f32 or bf16");
                return 2;
            }
            var path = parse.GetValue(model) ?? Path.Combine(DecodeCommand.RepositoryRoot(), "models", "tsuzumi-nano");
            Run(path, parse.GetValue(dtype) == "f32" ? ScalarType.Float32 : ScalarType.BFloat16, counts, parse.GetValue(steps), parse.GetValue(rounds), parse.GetValue(equalLengths));
            return 0;
        });
        return command;
    }

    private static void Run(string path, ScalarType dtype, int[] rowCounts, int steps, int rounds, bool equalLengths)
    {
        using var pretrained = PretrainedModel.Load(path, dtype);
        var model = pretrained.Model;
        set_num_threads(1); // as GenerationEngine runs decode steps the C# kernel takes
        Console.Error.WriteLine($"{path} ({model.DType}), {steps} steps per measurement, {rounds} rounds, load average {MachineLoad.Average()}");
        var layouts = new[] { "cache per row", "pooled" };
        var times = rowCounts.ToDictionary(count => count, _ => layouts.ToDictionary(layout => layout, _ => new List<double>()));
        Measure(model, 2, pooled: true, steps: 4, equalLengths); // warm-up: JIT and libtorch's first calls
        Measure(model, 2, pooled: false, steps: 4, equalLengths);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var count in rowCounts)
            {
                foreach (var layout in round % 2 == 0 ? layouts : layouts.Reverse())
                    times[count][layout].AddRange(Measure(model, count, layout == "pooled", steps, equalLengths));
            }
        }

        var oneRow = Median(times[rowCounts.Min()]["cache per row"]);
        Console.WriteLine($"decode step p50, tsuzumi-nano-class model {model.DType}, libtorch 1 thread, rows at {(equalLengths ? "equal cache lengths (48)" : $"different cache lengths (48–{48 + 5 * (rowCounts.Max() - 1)})")}:");
        Console.WriteLine($"| rows | cache per row ms | pooled ms | pooled / per row | pooled / 1 row per row |");
        Console.WriteLine("|--:|--:|--:|--:|--:|");
        foreach (var count in rowCounts)
        {
            var perRow = Median(times[count]["cache per row"]);
            var pooled = Median(times[count]["pooled"]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {count} | {perRow:F2} | {pooled:F2} | {pooled / perRow:F2}× | {pooled / oneRow:F2}× |"));
        }
        Console.WriteLine($"load average at the end {MachineLoad.Average()}");
    }

    /// <summary>Prefills <paramref name="rows"/> sequences one by one, then times <paramref name="steps"/> decode steps of all of them together (ms each).</summary>
    private static double[] Measure(LlamaForCausalLM model, int rows, bool pooled, int steps, bool equalLengths)
    {
        using var pool = new KvCachePool(model.Config, model.DType);
        var caches = Enumerable.Range(0, rows).Select(_ => pooled ? pool.CreateCache() : model.CreateCache()).ToArray();
        var random = new Random(rows);
        var next = new long[rows];
        try
        {
            for (var row = 0; row < rows; row++)
            {
                var length = equalLengths ? 48 : 48 + 5 * row;
                var prompt = Enumerable.Range(0, length).Select(_ => (long)random.Next(3, model.Config.VocabSize)).ToArray();
                using var scope = NewDisposeScope();
                next[row] = model.Forward(tensor(prompt, new long[] { 1, length }), [caches[row]]).argmax().item<long>();
            }
            var times = new double[steps];
            for (var step = 0; step < steps; step++)
            {
                var clock = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    var logits = model.Forward(tensor(next, new long[] { rows, 1 }), caches); // [rows, 1, vocab]
                    next = logits.argmax(-1).reshape(-1).data<long>().ToArray();
                }
                times[step] = clock.Elapsed.TotalMilliseconds;
            }
            return times;
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
