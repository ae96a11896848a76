using System.Buffers.Binary;
using System.Text;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

/// <summary>Builders for GGUF images in memory, and byte surgery to damage them in one precise place.</summary>
internal static class GgufTestFiles
{
    public static string Stories260KPath => RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");

    public static byte[] ToBytes(this GgufWriter writer)
    {
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>A valid file with one F32 tensor named <paramref name="tensorName"/> of 8 values and a few metadata keys.</summary>
    public static byte[] SmallFile(string tensorName = "weights", string key = "general.name")
    {
        var writer = new GgufWriter();
        writer.AddMetadata(key, GgufValue.String("tiny"));
        writer.AddMetadata("test.count", GgufValue.UInt32(7));
        writer.AddTensor(tensorName, [8], GgufTensorType.F32, Enumerable.Range(0, 8).Select(i => (float)i).ToArray());
        return writer.ToBytes();
    }

    /// <summary>Where the UTF-8 bytes of <paramref name="text"/> first occur (asserted to occur once).</summary>
    public static int Find(byte[] bytes, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        var at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"'{text}' not found");
        Assert.Equal(-1, bytes.AsSpan(at + 1).IndexOf(needle));
        return at;
    }

    /// <summary>Position of the n_dims field of the tensor info whose name is <paramref name="name"/>.</summary>
    public static int DimensionCountField(byte[] bytes, string name) => Find(bytes, name) + Encoding.UTF8.GetByteCount(name);

    /// <summary>Position of the type field of a tensor info (after its dimensions).</summary>
    public static int TypeField(byte[] bytes, string name)
    {
        var dimensionCount = DimensionCountField(bytes, name);
        return dimensionCount + 4 + 8 * (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(dimensionCount));
    }

    public static int OffsetField(byte[] bytes, string name) => TypeField(bytes, name) + 4;

    public static void WriteUInt32(byte[] bytes, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);

    public static void WriteUInt64(byte[] bytes, int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), value);

    public static ModelFormatException LoadFails(byte[] bytes, string name = "bad.gguf") =>
        Assert.Throws<ModelFormatException>(() => GgufFile.Read(bytes, name).Dispose());

    /// <summary>A small llama model with seeded random weights, all shapes consistent with <paramref name="config"/>.</summary>
    public static Checkpoint SyntheticCheckpoint(LlamaConfig config, int seed, bool withLmHead = true)
    {
        var random = new Random(seed);
        var tensors = new Dictionary<string, CheckpointTensor>();
        void Add(string name, params long[] shape)
        {
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
            tensors[name] = new CheckpointTensor(name, shape, "F32", () => (float[])values.Clone());
        }
        long hidden = config.HiddenSize, q = config.NumAttentionHeads * config.ResolvedHeadDim, kv = config.NumKeyValueHeads * config.ResolvedHeadDim;
        Add("model.embed_tokens.weight", config.VocabSize, hidden);
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            Add(prefix + "input_layernorm.weight", hidden);
            Add(prefix + "self_attn.q_proj.weight", q, hidden);
            Add(prefix + "self_attn.k_proj.weight", kv, hidden);
            Add(prefix + "self_attn.v_proj.weight", kv, hidden);
            Add(prefix + "self_attn.o_proj.weight", hidden, q);
            if (config.AttentionBias)
            {
                Add(prefix + "self_attn.q_proj.bias", q);
                Add(prefix + "self_attn.k_proj.bias", kv);
                Add(prefix + "self_attn.v_proj.bias", kv);
            }
            Add(prefix + "post_attention_layernorm.weight", hidden);
            Add(prefix + "mlp.gate_proj.weight", config.IntermediateSize, hidden);
            Add(prefix + "mlp.up_proj.weight", config.IntermediateSize, hidden);
            Add(prefix + "mlp.down_proj.weight", hidden, config.IntermediateSize);
        }
        Add("model.norm.weight", hidden);
        if (withLmHead) Add("lm_head.weight", config.VocabSize, hidden);
        return new Checkpoint("synthetic.gguf", config with { TieWordEmbeddings = !withLmHead }, tensors, null, "{{ messages }}");
    }

    public static LlamaConfig TinyConfig(RopeLayout layout = RopeLayout.AdjacentPairs, string modelType = "llama", bool bias = false) => new()
    {
        ModelType = modelType,
        VocabSize = 40,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
        RopeLayout = layout,
        AttentionBias = bias,
        BosTokenId = null,
        EosTokenId = null,
    };
}
