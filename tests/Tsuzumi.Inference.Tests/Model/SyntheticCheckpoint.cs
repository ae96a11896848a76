using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Tests.Model;

/// <summary>Random-weight checkpoints for architectures stories260K does not cover (seeded, so tests repeat).</summary>
public static class SyntheticCheckpoint
{
    public static LlamaConfig SmallConfig(int heads = 4, int kvHeads = 2, RopeLayout layout = RopeLayout.HalfSplit,
        bool tied = false, bool bias = false, RopeScaling? scaling = null) => new()
    {
        VocabSize = 97,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        MaxPositionEmbeddings = 128,
        RopeLayout = layout,
        TieWordEmbeddings = tied,
        AttentionBias = bias,
        RopeScaling = scaling,
        RopeTheta = 10000,
    };

    /// <summary>Every tensor a model of <paramref name="config"/> needs, N(0, 0.2²) (norm weights around 1).</summary>
    public static Checkpoint Create(LlamaConfig config, int seed = 1)
    {
        var random = new Random(seed);
        var tensors = new Dictionary<string, CheckpointTensor>();
        void Add(string name, params long[] shape)
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[count];
            var isNorm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            for (var i = 0; i < data.Length; i++) data[i] = isNorm ? 1f + 0.1f * Gaussian(random) : 0.2f * Gaussian(random);
            tensors[name] = new CheckpointTensor(name, shape, "F32", () => (float[])data.Clone());
        }
        long hidden = config.HiddenSize, headDim = config.ResolvedHeadDim;
        Add("model.embed_tokens.weight", config.VocabSize, hidden);
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            Add(prefix + "input_layernorm.weight", hidden);
            Add(prefix + "self_attn.q_proj.weight", config.NumAttentionHeads * headDim, hidden);
            Add(prefix + "self_attn.k_proj.weight", config.NumKeyValueHeads * headDim, hidden);
            Add(prefix + "self_attn.v_proj.weight", config.NumKeyValueHeads * headDim, hidden);
            if (config.AttentionBias)
            {
                Add(prefix + "self_attn.q_proj.bias", config.NumAttentionHeads * headDim);
                Add(prefix + "self_attn.k_proj.bias", config.NumKeyValueHeads * headDim);
                Add(prefix + "self_attn.v_proj.bias", config.NumKeyValueHeads * headDim);
            }
            Add(prefix + "self_attn.o_proj.weight", hidden, config.NumAttentionHeads * headDim);
            Add(prefix + "post_attention_layernorm.weight", hidden);
            Add(prefix + "mlp.gate_proj.weight", config.IntermediateSize, hidden);
            Add(prefix + "mlp.up_proj.weight", config.IntermediateSize, hidden);
            Add(prefix + "mlp.down_proj.weight", hidden, config.IntermediateSize);
        }
        Add("model.norm.weight", hidden);
        if (!config.TieWordEmbeddings) Add("lm_head.weight", config.VocabSize, hidden);
        return new Checkpoint("synthetic", config, tensors, Tokenizer: null, ChatTemplate: null);
    }

    private static float Gaussian(Random random)
    {
        // Box–Muller: enough for test weights.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
