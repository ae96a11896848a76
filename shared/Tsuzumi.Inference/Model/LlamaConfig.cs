namespace Tsuzumi.Inference.Model;

/// <summary>How RoPE pairs the dimensions of a head.</summary>
public enum RopeLayout
{
    /// <summary>Dimensions (2i, 2i+1) rotate together: llama2.c, GGML's "normal" mode, every llama-architecture GGUF.</summary>
    AdjacentPairs,

    /// <summary>Dimensions (i, i + d/2) rotate together: Hugging Face transformers' rotate_half.</summary>
    HalfSplit,
}

/// <summary>RoPE frequency scaling (Hugging Face <c>rope_scaling</c>).</summary>
/// <param name="Type"><c>linear</c> or <c>llama3</c>.</param>
public sealed record RopeScaling(
    string Type,
    double Factor,
    double LowFrequencyFactor = 1.0,
    double HighFrequencyFactor = 4.0,
    int OriginalMaxPositionEmbeddings = 8192);

/// <summary>The hyper-parameters of a Llama-family decoder, named after Hugging Face's config.json.</summary>
public sealed record LlamaConfig
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Per-head width; defaults to hidden / heads.</summary>
    public int HeadDim { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public RopeLayout RopeLayout { get; init; } = RopeLayout.HalfSplit;
    public bool TieWordEmbeddings { get; init; }

    /// <summary>q/k/v projections carry a bias (Qwen2).</summary>
    public bool AttentionBias { get; init; }

    public int? BosTokenId { get; init; } = 1;
    public int? EosTokenId { get; init; } = 2;

    /// <summary>Hugging Face <c>model_type</c>: <c>llama</c>, <c>qwen2</c>, <c>mistral</c>…</summary>
    public string ModelType { get; init; } = "llama";

    public int ResolvedHeadDim => HeadDim > 0 ? HeadDim : HiddenSize / NumAttentionHeads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first impossible value.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentException($"{name} must be positive, was {value}");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ArgumentException($"num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads})");
        if (ResolvedHeadDim % 2 != 0) throw new ArgumentException($"head_dim must be even for RoPE, was {ResolvedHeadDim}");
        if (HeadDim <= 0 && HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hidden_size ({HiddenSize}) is not a multiple of num_attention_heads ({NumAttentionHeads})");
        if (RmsNormEps <= 0 || RopeTheta <= 0) throw new ArgumentException("rms_norm_eps and rope_theta must be positive");
        if (RopeScaling is { Type: not ("linear" or "llama3") })
            throw new ArgumentException($"rope_scaling type '{RopeScaling.Type}' is not supported (linear, llama3)");
    }
}
