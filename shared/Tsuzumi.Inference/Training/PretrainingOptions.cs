using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// Everything that decides a pretraining run: the architecture and the optimisation. The same options, corpus and
/// thread count reproduce the same weights. The defaults are tsuzumi-nano (docs/decisions/0004-tsuzumi-nano-size.md).
/// </summary>
public sealed record PretrainingOptions
{
    public int HiddenSize { get; init; } = 256;

    /// <summary>SwiGLU width, ≈ 2.7 × hidden (Llama's 8/3 rounded to a multiple of 32).</summary>
    public int IntermediateSize { get; init; } = 704;

    public int Layers { get; init; } = 6;
    public int AttentionHeads { get; init; } = 8;

    /// <summary>Grouped-query attention: fewer key/value heads than query heads.</summary>
    public int KeyValueHeads { get; init; } = 4;

    /// <summary>Tokens per training window, and the model's context window.</summary>
    public int ContextLength { get; init; } = 256;

    public double RopeTheta { get; init; } = 10000.0;

    public int Epochs { get; init; } = 12;

    /// <summary>Windows per optimiser step.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Peak learning rate, reached after the warm-up; cosine decay to 10% of it follows.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Decoupled (AdamW) weight decay on the matrices; norms are never decayed.</summary>
    public double WeightDecay { get; init; } = 0.1;

    public double Beta1 { get; init; } = 0.9;

    /// <summary>0.95 rather than Adam's 0.999: the usual choice for LLM pretraining, steadier with small batches.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Gradients are rescaled to this global L2 norm at most; 0 disables.</summary>
    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Fraction of optimiser steps warming the learning rate up linearly.</summary>
    public double WarmupFraction { get; init; } = 0.03;

    /// <summary>Fraction of windows held out (never trained on) to measure eval loss.</summary>
    public double EvalFraction { get; init; } = 0.02;

    /// <summary>Measure eval loss every this many optimiser steps (and at the end); 0 = only at the end.</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>Save a resumable checkpoint every this many optimiser steps; 0 = only on interruption.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Seeds the initial weights, the held-out split and the window order.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The model these options build for a tokenizer of <paramref name="vocabularySize"/> tokens.</summary>
    public LlamaConfig ToConfig(int vocabularySize, int? bosTokenId, int? eosTokenId) => new()
    {
        VocabSize = vocabularySize,
        HiddenSize = HiddenSize,
        IntermediateSize = IntermediateSize,
        NumHiddenLayers = Layers,
        NumAttentionHeads = AttentionHeads,
        NumKeyValueHeads = KeyValueHeads,
        MaxPositionEmbeddings = ContextLength,
        RopeTheta = RopeTheta,
        RmsNormEps = 1e-5,
        RopeLayout = RopeLayout.HalfSplit, // transformers' own layout: the saved folder needs no permutation
        TieWordEmbeddings = true,          // the 4096 × hidden table is a fifth of the model; sharing it halves that
        BosTokenId = bosTokenId,
        EosTokenId = eosTokenId,
    };

    /// <summary>Weights of the model <see cref="ToConfig"/> builds (tied embeddings counted once).</summary>
    public long ParameterCount(int vocabularySize)
    {
        long hidden = HiddenSize, keyValueWidth = (long)KeyValueHeads * (HiddenSize / AttentionHeads);
        var attention = 2 * hidden * hidden + 2 * hidden * keyValueWidth; // q, o; k, v
        var feedForward = 3 * hidden * IntermediateSize;                  // gate, up, down
        return vocabularySize * hidden + Layers * (attention + feedForward + 2 * hidden) + hidden;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message naming the first impossible value.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentException($"{name} must be positive, was {value}");
        }
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(IntermediateSize, nameof(IntermediateSize));
        Positive(Layers, nameof(Layers));
        Positive(AttentionHeads, nameof(AttentionHeads));
        Positive(KeyValueHeads, nameof(KeyValueHeads));
        Positive(Epochs, nameof(Epochs));
        Positive(BatchSize, nameof(BatchSize));
        if (ContextLength < 2) throw new ArgumentException($"context length must be at least 2, was {ContextLength}");
        if (HiddenSize % AttentionHeads != 0)
            throw new ArgumentException($"hidden size {HiddenSize} is not a multiple of the {AttentionHeads} attention heads");
        if ((HiddenSize / AttentionHeads) % 2 != 0)
            throw new ArgumentException($"head width {HiddenSize / AttentionHeads} must be even for RoPE");
        if (AttentionHeads % KeyValueHeads != 0)
            throw new ArgumentException($"{AttentionHeads} attention heads are not a multiple of the {KeyValueHeads} key/value heads");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate must be positive, was {LearningRate}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"weight decay must be ≥ 0, was {WeightDecay}");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException("Adam betas must be in [0, 1)");
        if (!(MaxGradientNorm >= 0)) throw new ArgumentException($"max gradient norm must be ≥ 0, was {MaxGradientNorm}");
        if (WarmupFraction is < 0 or >= 1) throw new ArgumentException($"warm-up fraction must be in [0, 1), was {WarmupFraction}");
        if (EvalFraction is < 0 or >= 1) throw new ArgumentException($"eval fraction must be in [0, 1), was {EvalFraction}");
        if (EvalEvery < 0) throw new ArgumentException($"eval interval must be ≥ 0, was {EvalEvery}");
        if (CheckpointEvery < 0) throw new ArgumentException($"checkpoint interval must be ≥ 0, was {CheckpointEvery}");
    }
}
