using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Tsuzumi.Inference.Adapters;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench adapter-load</c>: cold load of one adapter on all seven linear layers of the synthetic 0.5B-class
/// model, from its GGUF file (one pass: hashed, decoded and checked together) against the same load followed by the
/// second full read of the file that the GGUF loader used to make for the version; the PEFT folder alongside.
/// </summary>
internal static class AdapterLoadCommand
{
    public static Command Create()
    {
        var rank = new Option<int>("--rank") { DefaultValueFactory = _ => 16 };
        var loads = new Option<int>("--loads") { Description = "Timed loads per side, interleaved", DefaultValueFactory = _ => 30 };
        var cacheDirectory = new Option<string?>("--cache-dir") { Description = "Where the adapters are written (default: artifacts/bench)" };
        var command = new Command("adapter-load", "Adapter cold load: GGUF in one pass vs one pass plus the former second hashing pass, and PEFT")
        {
            rank, loads, cacheDirectory,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(rank) < 1 || parse.GetValue(loads) < 1)
            {
                Console.Error.WriteLine("tsuzumi bench adapter-load: --rank and --loads must be positive");
                return 2;
            }
            Run(parse.GetValue(rank), parse.GetValue(loads),
                parse.GetValue(cacheDirectory) ?? Path.Combine(DecodeCommand.RepositoryRoot(), "artifacts", "bench"));
            return 0;
        });
        return command;
    }

    private static void Run(int rank, int loads, string cacheDirectory)
    {
        set_num_threads(1);
        var config = SyntheticLlama.Config;
        var (id, peftDirectory) = LoraCommand.WriteAdapter(Path.Combine(cacheDirectory, "lora"), $"r{rank}-load", rank, seed: 7);
        var ggufPath = Path.Combine(cacheDirectory, "lora", id + ".gguf");
        using (var adapter = PeftAdapterFormat.Load(peftDirectory, config)) GgufLoraFormat.Save(adapter, config, ggufPath);
        Console.Error.WriteLine($"rank-{rank} adapter on all linear layers of the 0.5B-class config: GGUF {new FileInfo(ggufPath).Length / 1e6:F1} MB (F32), {loads} loads per side, interleaved");

        var sides = new (string Name, Action Load)[]
        {
            ("GGUF, one pass (hash + decode + check)", () => { using var _ = GgufLoraFormat.Load(ggufPath, config); }),
            ("GGUF, one pass + the former second hashing pass", () =>
            {
                using var _ = GgufLoraFormat.Load(ggufPath, config);
                GgufLoraFormat.ContentVersion(ggufPath);
            }),
            ("PEFT safetensors, one pass", () => { using var _ = PeftAdapterFormat.Load(peftDirectory, config); }),
        };
        foreach (var (_, load) in sides) load(); // warm-up: page cache, JIT
        var times = sides.Select(_ => new double[loads]).ToArray();
        for (var i = 0; i < loads; i++)
        {
            for (var s = 0; s < sides.Length; s++)
            {
                var side = (s + i) % sides.Length; // rotate who goes first
                var clock = Stopwatch.StartNew();
                sides[side].Load();
                times[side][i] = clock.Elapsed.TotalMilliseconds;
            }
        }

        var report = new System.Text.StringBuilder();
        report.AppendLine("| load | p50 ms | p95 ms |");
        report.AppendLine("|---|--:|--:|");
        for (var s = 0; s < sides.Length; s++)
            report.AppendLine(CultureInfo.InvariantCulture, $"| {sides[s].Name} | {LoraCommand.Percentile(times[s], 0.5):F1} | {LoraCommand.Percentile(times[s], 0.95):F1} |");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"two passes / one pass (p50) = {LoraCommand.Percentile(times[1], 0.5) / LoraCommand.Percentile(times[0], 0.5):F2}× · GGUF / PEFT (p50) = {LoraCommand.Percentile(times[0], 0.5) / LoraCommand.Percentile(times[2], 0.5):F2}×");
        Console.WriteLine(report.ToString());
    }
}
