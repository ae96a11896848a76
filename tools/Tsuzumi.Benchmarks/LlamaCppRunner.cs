using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// llama.cpp (through LLamaSharp) on the same file, with its speed defaults (F16 KV cache, its own flash-attention
/// choice) and the same thread count: the reference this runtime is measured against.
/// </summary>
internal sealed class LlamaCppRunner : IDecodeRuntime
{
    private readonly LLamaWeights weights;
    private readonly ModelParams parameters;

    public LlamaCppRunner(string ggufPath, int contextLength, int batchSize, int threads)
    {
        parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextLength,
            BatchSize = (uint)batchSize,
            UBatchSize = (uint)batchSize,
            GpuLayerCount = 0,
            Threads = threads,
            BatchThreads = threads,
        };
        var clock = Stopwatch.StartNew();
        weights = LLamaWeights.LoadFromFile(parameters);
        LoadSeconds = clock.Elapsed.TotalSeconds;
        BytesPerToken = WeightTraffic.StoredBytesPerToken(ggufPath);
        using var file = Inference.Formats.Gguf.GgufFile.Open(ggufPath);
        Precision = string.Join("+", file.Tensors.Where(tensor => tensor.Dimensions.Length == 2).Select(tensor => tensor.Type.ToString()).Distinct());
    }

    /// <summary>llama.cpp logs every load to stderr; only its errors matter next to a results table.</summary>
    public static void QuietLogs() =>
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level == LLamaLogLevel.Error) Console.Error.Write($"llama.cpp: {message}");
        });

    public string Runtime => "llama.cpp";

    public string Precision { get; }

    public long BytesPerToken { get; }

    public double LoadSeconds { get; }

    public (double PrefillTokensPerSecond, double DecodeTokensPerSecond) RunOnce(DecodeWorkload workload)
    {
        using var context = weights.CreateContext(parameters);
        var prefillClock = Stopwatch.StartNew();
        var token = Prefill(context, workload.Prompt);
        var prefillSeconds = prefillClock.Elapsed.TotalSeconds;
        var decodeClock = Stopwatch.StartNew();
        for (var i = 0; i < workload.DecodeTokens; i++) token = DecodeOne(context, token, workload.Prompt.Length + i);
        return (workload.Prompt.Length / prefillSeconds, workload.DecodeTokens / decodeClock.Elapsed.TotalSeconds);
    }

    private static int Prefill(LLamaContext context, int[] prompt)
    {
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Length; i++) batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        return Decode(context, batch);
    }

    private static int DecodeOne(LLamaContext context, int token, int position)
    {
        var batch = new LLamaBatch();
        batch.Add((LLamaToken)token, position, LLamaSeqId.Zero, true);
        return Decode(context, batch);
    }

    /// <summary>Runs the batch and returns the greedy choice after its last token.</summary>
    private static int Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
        var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    public void Dispose() => weights.Dispose();
}
