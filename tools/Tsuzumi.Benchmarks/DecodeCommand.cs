using System.CommandLine;
using System.Globalization;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench decode</c>: in one run, memory bandwidth, then for each model llama.cpp and this runtime on the same
/// file and the same token ids — prefill and single-stream decode throughput, with ratios to llama.cpp and the roofline.
/// </summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models")
        {
            Description = $"Comma-separated subset of: {string.Join(", ", BenchmarkModels.Keys)}",
            DefaultValueFactory = _ => string.Join(",", BenchmarkModels.Keys),
        };
        var tokens = new Option<int>("--tokens") { Description = "Tokens decoded one at a time (timed)", DefaultValueFactory = _ => 64 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length for prefill (timed)", DefaultValueFactory = _ => 128 };
        var threads = new Option<int>("--threads") { Description = "Compute threads for both runtimes", DefaultValueFactory = _ => 2 };
        var runtimes = new Option<string>("--runtimes") { Description = "Comma-separated: tsuzumi, llama.cpp", DefaultValueFactory = _ => "tsuzumi,llama.cpp" };
        var rounds = new Option<int>("--rounds") { Description = "Timed runs per runtime, alternating between runtimes; the best counts", DefaultValueFactory = _ => 3 };
        var libtorchLinear = new Option<bool>("--libtorch-linear") { Description = "Also run this runtime with libtorch's linear for decode steps (the C# single-row kernel off)" };
        var fp32OnF16 = new Option<bool>("--fp32-on-f16") { Description = "Also run the F16 model in fp32" };
        var cacheDirectory = new Option<string?>("--cache-dir") { Description = "Where the synthetic models are written (default: artifacts/bench in the repository)" };

        var command = new Command("decode", "Prefill and single-stream decode speed of this runtime vs llama.cpp, with the memory-bandwidth roofline")
        {
            models, tokens, promptTokens, threads, rounds, runtimes, libtorchLinear, fp32OnF16, cacheDirectory,
        };
        command.SetAction(parse =>
        {
            try
            {
                var selected = Split(parse.GetValue(models)!);
                var unknown = selected.Except(BenchmarkModels.Keys).ToArray();
                if (unknown.Length > 0) throw new ArgumentException($"unknown model(s) {string.Join(", ", unknown)}; known: {string.Join(", ", BenchmarkModels.Keys)}");
                var chosenRuntimes = Split(parse.GetValue(runtimes)!);
                var unknownRuntimes = chosenRuntimes.Except(["tsuzumi", "llama.cpp"]).ToArray();
                if (unknownRuntimes.Length > 0) throw new ArgumentException($"unknown runtime(s) {string.Join(", ", unknownRuntimes)}; known: tsuzumi, llama.cpp");
                if (parse.GetValue(tokens) < 1 || parse.GetValue(promptTokens) < 1 || parse.GetValue(threads) < 1 || parse.GetValue(rounds) < 1)
                    throw new ArgumentException("--tokens, --prompt-tokens, --threads and --rounds must be positive");
                Run(selected, chosenRuntimes, parse.GetValue(tokens), parse.GetValue(promptTokens), parse.GetValue(threads),
                    parse.GetValue(rounds), parse.GetValue(libtorchLinear), parse.GetValue(fp32OnF16), parse.GetValue(cacheDirectory) ?? Path.Combine(RepositoryRoot(), "artifacts", "bench"));
                return 0;
            }
            catch (Exception failure) when (failure is ArgumentException or FileNotFoundException or IOException)
            {
                Console.Error.WriteLine($"tsuzumi bench decode: {failure.Message}");
                return 2;
            }
        });
        return command;
    }

    private static void Run(IReadOnlyList<string> modelKeys, IReadOnlyList<string> runtimes, int decodeTokens, int promptTokens,
        int threads, int rounds, bool libtorchLinear, bool fp32OnF16, string cacheDirectory)
    {
        var log = Console.Error;
        var sharedDirectory = Environment.GetEnvironmentVariable("TSUZUMI_SHARED_DIR") is { Length: > 0 } shared
            ? shared
            : Path.Combine(RepositoryRoot(), "..", "shared");
        if (runtimes.Contains("llama.cpp")) LlamaCppRunner.QuietLogs();
        var loadBefore = MachineLoad.Average();
        // Measured between models too, and the best kept: on a shared machine one reading may land on a busy moment.
        var bandwidths = new List<double>();
        void MeasureBandwidth()
        {
            log.WriteLine($"measuring memory read bandwidth ({threads} threads, 1 GiB)…");
            bandwidths.Add(MemoryBandwidth.MeasureRead(threads));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bandwidths[^1] / 1e9:F1} GB/s"));
            GC.Collect();
        }
        MeasureBandwidth();

        var rows = new List<DecodeRow>();
        foreach (var key in modelKeys)
        {
            var model = BenchmarkModels.Get(key, sharedDirectory, cacheDirectory, fp32OnF16);
            var path = model.Locate(log);
            var workload = DecodeWorkload.For((int)GgufVocabularySize(path), promptTokens, decodeTokens);
            rows.AddRange(MeasureAlternating(key, path, model, runtimes, workload, threads, rounds, libtorchLinear, log));
            GC.Collect();
            MeasureBandwidth();
        }

        var output = Console.Out;
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {threads} threads, prompt {promptTokens} tokens, decode {decodeTokens} tokens, best of {rounds} alternating rounds, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset: PASSIVE via NativeThreading)"}"));
        var bandwidth = bandwidths.Max();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory read bandwidth: {bandwidth / 1e9:F1} GB/s (C# Vector512 sum over 1 GiB, {threads} threads, best of {bandwidths.Count}×5 passes; readings {string.Join(", ", bandwidths.Select(reading => (reading / 1e9).ToString("F1", CultureInfo.InvariantCulture)))})"));
        output.WriteLine($"load average before / after: {loadBefore} / {MachineLoad.Average()}");
        output.WriteLine();
        DecodeReport.Write(output, rows, bandwidth);
    }

    /// <summary>
    /// Loads every runtime on the file side by side, warms each up, then runs the workload <paramref name="rounds"/>
    /// times in turn, starting each round with a different runtime; each keeps its best round (the least disturbed).
    /// </summary>
    private static List<DecodeRow> MeasureAlternating(string key, string path, BenchmarkModel model, IReadOnlyList<string> runtimes,
        DecodeWorkload workload, int threads, int rounds, bool libtorchLinear, TextWriter log)
    {
        var loaded = new List<IDecodeRuntime>();
        try
        {
            if (runtimes.Contains("llama.cpp")) loaded.Add(new LlamaCppRunner(path, workload.ContextLength, workload.Prompt.Length, threads));
            if (runtimes.Contains("tsuzumi"))
            {
                foreach (var dtype in model.OurDTypes)
                {
                    var ours = new TsuzumiRunner(path, dtype, threads);
                    loaded.Add(ours);
                    if (libtorchLinear) loaded.Add(ours.WithLibtorchLinear());
                }
            }
            foreach (var runtime in loaded) runtime.RunOnce(workload.WarmUp);
            var best = new (double Prefill, double Decode)[loaded.Count];
            for (var round = 0; round < rounds; round++)
            {
                for (var turn = 0; turn < loaded.Count; turn++)
                {
                    var index = (round + turn) % loaded.Count;
                    var (prefill, decode) = loaded[index].RunOnce(workload);
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {key} round {round + 1}: {loaded[index].Runtime} {loaded[index].Precision}: prefill {prefill:F1} tok/s, decode {decode:F1} tok/s"));
                    best[index] = (Math.Max(best[index].Prefill, prefill), Math.Max(best[index].Decode, decode));
                }
            }
            return loaded.Select((runtime, index) => new DecodeRow(key, runtime.Runtime, runtime.Precision,
                new DecodeSpeed(best[index].Prefill, best[index].Decode, runtime.LoadSeconds), runtime.BytesPerToken,
                IsReference: runtime is LlamaCppRunner)).ToList();
        }
        finally
        {
            foreach (var runtime in loaded) runtime.Dispose();
        }
    }

    private static long GgufVocabularySize(string path)
    {
        using var file = Inference.Formats.Gguf.GgufFile.Open(path);
        return file.GetTensor("token_embd.weight").Dimensions[1];
    }

    private static string DTypeName(ScalarType dtype) => dtype == ScalarType.Float32 ? "fp32" : "bf16";

    private static string[] Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The folder holding the solution file, above the program or the working directory.</summary>
    internal static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Tsuzumi.Constellation.sln"))) return directory.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
