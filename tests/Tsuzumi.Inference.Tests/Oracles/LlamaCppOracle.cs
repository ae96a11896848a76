using LLama;
using LLama.Common;
using LLama.Native;

namespace Tsuzumi.Inference.Tests.Oracles;

/// <summary>
/// llama.cpp (through LLamaSharp) as the reference implementation: tokenisation, and greedy decoding
/// with the full logits of every step. Single-threaded so its floating-point sums are repeatable.
/// </summary>
public sealed class LlamaCppOracle : IDisposable
{
    private readonly LLamaWeights weights;
    private readonly ModelParams parameters;
    private readonly (LoraAdapter Adapter, float Scale)[] loraAdapters;

    /// <param name="loraAdapters">GGUF LoRA files llama.cpp loads itself and applies on every context, with their scales.</param>
    public LlamaCppOracle(string ggufPath, uint contextSize = 512, IReadOnlyList<(string Path, float Scale)>? loraAdapters = null)
    {
        parameters = new ModelParams(ggufPath)
        {
            ContextSize = contextSize,
            GpuLayerCount = 0,
            Threads = 1,
            BatchSize = contextSize,
            // llama.cpp keeps its KV cache in F16 by default; F32 makes it an exact-arithmetic reference.
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            // Its CPU flash-attention kernel accumulates in F16; the plain path is fp32 throughout.
            FlashAttention = false,
        };
        weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            this.loraAdapters = (loraAdapters ?? []).Select(lora => (weights.NativeHandle.LoadLoraFromFile(lora.Path), lora.Scale)).ToArray();
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public int[] Tokenize(string text, bool addBos = true, bool special = false)
    {
        using var context = weights.CreateContext(parameters);
        return context.Tokenize(text, addBos, special).Select(token => (int)token).ToArray();
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> for <paramref name="steps"/> tokens, with each step's logits.</summary>
    public (int[] Tokens, float[][] Logits) GreedyDecode(IReadOnlyList<int> prompt, int steps)
    {
        using var context = weights.CreateContext(parameters);
        if (loraAdapters.Length > 0) context.NativeHandle.SetLoraAdapters(loraAdapters.AsSpan());
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Count; i++) batch.Add((LLamaToken)prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        Decode(context, batch);
        var tokens = new List<int>();
        var logits = new List<float[]>();
        var position = prompt.Count;
        for (var step = 0; step < steps; step++)
        {
            var current = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1).ToArray();
            logits.Add(current);
            var next = Inference.Generation.Sampler.ArgMax(current);
            tokens.Add(next);
            batch.Clear();
            batch.Add((LLamaToken)next, position++, LLamaSeqId.Zero, true);
            Decode(context, batch);
        }
        return (tokens.ToArray(), logits.ToArray());
    }

    private static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
    }

    public void Dispose() => weights.Dispose();
}
