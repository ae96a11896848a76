using System.Diagnostics;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>This runtime (TorchSharp) on a GGUF file, loaded in the given compute dtype.</summary>
internal sealed class TsuzumiRunner : IDecodeRuntime
{
    private readonly LlamaForCausalLM model;
    private readonly bool singleRowKernel;
    private readonly bool ownsModel;

    public TsuzumiRunner(string ggufPath, ScalarType dtype, int threads)
    {
        set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        using (var checkpoint = GgufCheckpointReader.Read(ggufPath)) model = LlamaForCausalLM.Load(checkpoint, dtype);
        LoadSeconds = clock.Elapsed.TotalSeconds;
        Precision = dtype == ScalarType.Float32 ? "fp32" : "bf16";
        BytesPerToken = WeightTraffic.ComputeBytesPerToken(ggufPath, dtype);
        singleRowKernel = true;
        ownsModel = true;
        Runtime = "tsuzumi";
    }

    private TsuzumiRunner(TsuzumiRunner loaded)
    {
        model = loaded.model;
        LoadSeconds = loaded.LoadSeconds;
        Precision = loaded.Precision;
        BytesPerToken = loaded.BytesPerToken;
        singleRowKernel = false;
        ownsModel = false;
        Runtime = "tsuzumi (libtorch linear)";
    }

    /// <summary>The same loaded model with decode steps through libtorch's linear instead of the C# single-row kernel.</summary>
    public TsuzumiRunner WithLibtorchLinear() => new(this);

    public string Runtime { get; }

    public string Precision { get; }

    public long BytesPerToken { get; }

    public double LoadSeconds { get; }

    public (double PrefillTokensPerSecond, double DecodeTokensPerSecond) RunOnce(DecodeWorkload workload)
    {
        SingleRowProjection.Enabled = singleRowKernel;
        using var cache = model.CreateCache();
        var prefillClock = Stopwatch.StartNew();
        var token = Step(cache, workload.Prompt);
        var prefillSeconds = prefillClock.Elapsed.TotalSeconds;
        var decodeClock = Stopwatch.StartNew();
        for (var i = 0; i < workload.DecodeTokens; i++) token = Step(cache, [token]);
        return (workload.Prompt.Length / prefillSeconds, workload.DecodeTokens / decodeClock.Elapsed.TotalSeconds);
    }

    /// <summary>Feeds <paramref name="tokens"/> and returns the greedy choice after the last one.</summary>
    private int Step(KvCache cache, int[] tokens)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(tokens.Select(id => (long)id).ToArray(), new long[] { 1, tokens.Length });
        return (int)model.Forward(ids, [cache]).argmax().item<long>();
    }

    public void Dispose()
    {
        SingleRowProjection.Enabled = true;
        if (ownsModel) model.Dispose();
    }
}
