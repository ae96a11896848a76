using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Serving;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench serve</c>: the continuous-batching <see cref="GenerationEngine"/> on the synthetic 0.5B-class model
/// (bf16) under load — many concurrent requests spread over specialists, each on its own rank-8 adapter — against one
/// request alone on the same engine: aggregate generated tok/s, the ratio, and time to first token under load.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "Concurrent requests under load", DefaultValueFactory = _ => 16 };
        var specialists = new Option<int>("--specialists") { Description = "Specialists (adapters, fairness keys) the requests spread over", DefaultValueFactory = _ => 4 };
        var rank = new Option<int>("--rank") { Description = "Rank of the specialists' adapters (all seven linear layers)", DefaultValueFactory = _ => 8 };
        var tokens = new Option<int>("--tokens") { Description = "Tokens generated per request", DefaultValueFactory = _ => 32 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length of every request", DefaultValueFactory = _ => 16 };
        var chunk = new Option<int>("--prefill-chunk") { Description = "EngineOptions.PrefillChunkTokens", DefaultValueFactory = _ => new EngineOptions().PrefillChunkTokens };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var cacheDirectory = new Option<string?>("--cache-dir") { Description = "Where the synthetic model and adapters are written (default: artifacts/bench)" };

        var command = new Command("serve", "Continuous batching under load: aggregate tok/s of concurrent requests over several adapters vs one alone, time to first token")
        {
            requests, specialists, rank, tokens, promptTokens, chunk, threads, cacheDirectory,
        };
        command.SetAction(async parse =>
        {
            if (parse.GetValue(requests) < 1 || parse.GetValue(specialists) < 1 || parse.GetValue(rank) < 1 || parse.GetValue(tokens) < 2
                || parse.GetValue(promptTokens) < 1 || parse.GetValue(chunk) < 1 || parse.GetValue(threads) < 1)
            {
                Console.Error.WriteLine("tsuzumi bench serve: every count must be positive (--tokens at least 2)");
                return 2;
            }
            await Run(parse.GetValue(requests), parse.GetValue(specialists), parse.GetValue(rank), parse.GetValue(tokens), parse.GetValue(promptTokens),
                parse.GetValue(chunk), parse.GetValue(threads), parse.GetValue(cacheDirectory) ?? Path.Combine(DecodeCommand.RepositoryRoot(), "artifacts", "bench"));
            return 0;
        });
        return command;
    }

    private static async Task Run(int requestCount, int specialistCount, int rank, int tokens, int promptTokens, int chunk, int threads, string cacheDirectory)
    {
        set_num_threads(threads);
        var log = Console.Error;
        var modelPath = SyntheticLlama.EnsureWritten(Path.Combine(cacheDirectory, "synthetic-0.5b-f16.gguf"), GgufTensorType.F16, log);
        using var model = PretrainedModel.Load(modelPath, ScalarType.BFloat16);
        using var registry = new AdapterRegistry(model.Model.Config, long.MaxValue);
        var specialists = Enumerable.Range(0, specialistCount)
            .Select(index => LoraCommand.WriteAdapter(Path.Combine(cacheDirectory, "lora"), $"r{rank}-{index}", rank, seed: 1000 + index).Id)
            .ToArray();
        foreach (var id in specialists) registry.Register(id, Path.Combine(cacheDirectory, "lora", id));
        log.WriteLine($"model: {modelPath} (bf16); {requestCount} requests over {specialistCount} specialists (rank-{rank} adapters), " +
                      $"{promptTokens}-token prompts, {tokens} tokens each, prefill chunk {chunk}, {threads} threads; load average {MachineLoad.Average()}");

        await using var engine = new GenerationEngine(model, registry, new EngineOptions
        {
            MaxBatchSize = requestCount,
            MaxQueueLength = requestCount,
            PrefillChunkTokens = chunk,
        });
        EngineRequest Request(int index, int maxTokens) => new(
            new GenerationRequest(Enumerable.Range(0, promptTokens).Select(i => 1 + (index * 131 + i * 17) % 31999).ToArray(), maxTokens, SamplingOptions.Greedy)
            {
                StopAtEndOfGeneration = false, // every request generates exactly maxTokens
            },
            [new AdapterSelection(specialists[index % specialistCount])], specialists[index % specialistCount]);

        // Warm-up: loads the adapters, converts them and JITs the batched and single-row paths.
        await Task.WhenAll(Enumerable.Range(0, Math.Min(requestCount, specialistCount * 2)).Select(index => engine.GenerateAsync(Request(index, 3))));

        // The peer, measured twice (before and after the load) with the best kept: one request alone on the same engine.
        var alone = await Alone(engine, Request(0, tokens));
        var before = engine.Statistics;
        var load = await UnderLoad(engine, Enumerable.Range(0, requestCount).Select(index => Request(index, tokens)).ToArray());
        var after = engine.Statistics;
        var aloneAgain = await Alone(engine, Request(1, tokens));
        if (aloneAgain.TokensPerSecond > alone.TokensPerSecond) alone = aloneAgain;
        var loadSteps = after.DecodeSteps - before.DecodeSteps;
        var loadMeanBatch = (after.MeanBatchSize * after.DecodeSteps - before.MeanBatchSize * before.DecodeSteps) / Math.Max(1, loadSteps);

        var report = new System.Text.StringBuilder();
        report.AppendLine("| scenario | generated tok/s (all requests, submission to last token) | decode tok/s | TTFT p50 | TTFT p95 |");
        report.AppendLine("|---|--:|--:|--:|--:|");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| one request alone | {alone.TokensPerSecond:F1} | {alone.DecodeTokensPerSecond:F1} | {alone.FirstTokenMs.Single():F0} ms | — |");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {requestCount} concurrent over {specialistCount} adapters | {load.TokensPerSecond:F1} | {load.DecodeTokensPerSecond:F1} | " +
            $"{LoraCommand.Percentile(load.FirstTokenMs, 0.5):F0} ms | {LoraCommand.Percentile(load.FirstTokenMs, 0.95):F0} ms |");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"aggregate / alone = {load.TokensPerSecond / alone.TokensPerSecond:F2}× (target ≥ 4) · decode-phase ratio {load.DecodeTokensPerSecond / alone.DecodeTokensPerSecond:F2}× · " +
            $"under load: {loadSteps} decode steps, mean batch {loadMeanBatch:F1} rows, largest {after.LargestBatch} · load average after {MachineLoad.Average()}");
        Console.WriteLine(report.ToString());
    }

    private sealed record Measurement(double TokensPerSecond, double DecodeTokensPerSecond, double[] FirstTokenMs);

    private static async Task<Measurement> Alone(GenerationEngine engine, EngineRequest request)
    {
        var clock = Stopwatch.StartNew();
        var result = await engine.GenerateAsync(request);
        return new Measurement(result.Tokens.Count / clock.Elapsed.TotalSeconds, result.DecodeTokensPerSecond, [result.PrefillTime.TotalMilliseconds]);
    }

    /// <summary>
    /// Every request submitted at once. Decode tok/s counts the tokens after each request's first over the span from
    /// the first request's first token to the last completion (the span in which the batch decodes).
    /// </summary>
    private static async Task<Measurement> UnderLoad(GenerationEngine engine, IReadOnlyList<EngineRequest> requests)
    {
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(requests.Select(request => engine.GenerateAsync(request)));
        var elapsed = clock.Elapsed;
        var decodeSpan = elapsed - results.Min(result => result.PrefillTime);
        return new Measurement(results.Sum(result => result.Tokens.Count) / elapsed.TotalSeconds,
            results.Sum(result => result.Tokens.Count - 1) / decodeSpan.TotalSeconds,
            results.Select(result => result.PrefillTime.TotalMilliseconds).ToArray());
    }
}
