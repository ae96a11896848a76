using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// A <see cref="Checkpoint"/> as a GGUF v3 file llama.cpp can load: <c>{arch}.*</c> hyper-parameters, <c>tokenizer.ggml.*</c>
/// vocabulary, and tensors under llama.cpp names. q_proj/k_proj rows are reordered when the checkpoint's RoPE layout is
/// not the one the architecture uses in GGUF (llama: adjacent pairs; qwen2: half split), as convert_hf_to_gguf.py does.
/// </summary>
public static class GgufCheckpointWriter
{
    /// <param name="tensorType">Storage type for matrices; 1-D tensors (norms, biases) stay F32, as llama.cpp's converter keeps them.</param>
    public static void Write(Checkpoint checkpoint, GgufVocabulary? vocabulary, string path, GgufTensorType tensorType = GgufTensorType.F32)
    {
        var writer = Build(checkpoint, vocabulary, tensorType);
        writer.WriteTo(path);
    }

    public static void Write(Checkpoint checkpoint, GgufVocabulary? vocabulary, Stream stream, GgufTensorType tensorType = GgufTensorType.F32)
    {
        var writer = Build(checkpoint, vocabulary, tensorType);
        writer.WriteTo(stream);
    }

    private static GgufWriter Build(Checkpoint checkpoint, GgufVocabulary? vocabulary, GgufTensorType tensorType)
    {
        if (!GgufQuantizer.Supports(tensorType)) throw new ArgumentException($"cannot write {tensorType} tensors");
        var config = checkpoint.Config;
        var arch = GgufArchitectures.ForModelType(config.ModelType)
            ?? throw new NotSupportedException($"model type '{config.ModelType}' has no GGUF mapping here (llama, mistral, qwen2)");
        var ggufLayout = GgufArchitectures.RopeLayoutOf(arch);

        var writer = new GgufWriter();
        writer.AddMetadata("general.architecture", GgufValue.String(arch));
        writer.AddMetadata("general.name", GgufValue.String(Path.GetFileNameWithoutExtension(checkpoint.SourcePath)));
        AddConfig(writer, arch, config);
        if (vocabulary is not null) AddVocabulary(writer, vocabulary);
        if (checkpoint.ChatTemplate is not null) writer.AddMetadata("tokenizer.chat_template", GgufValue.String(checkpoint.ChatTemplate));

        // llama.cpp's own order: embeddings, then each layer, then the output head.
        foreach (var tensor in checkpoint.Tensors.Values.OrderBy(tensor => TensorOrder(tensor.Name)).ThenBy(tensor => tensor.Name, StringComparer.Ordinal))
        {
            var ggufName = GgufTensorNames.ToGguf(tensor.Name)
                ?? throw new ArgumentException($"tensor '{tensor.Name}' has no llama.cpp name");
            var dimensions = tensor.Shape.Reverse().ToArray();
            var type = tensor.Shape.Length == 1 ? GgufTensorType.F32 : tensorType;
            if (dimensions[0] % GgufTensorTypes.BlockSize(type) != 0)
                throw new ArgumentException($"tensor '{tensor.Name}' rows of {dimensions[0]} cannot be stored as {type} (block size {GgufTensorTypes.BlockSize(type)})");
            var heads = RopeHeads(tensor.Name, config);
            Func<float[]> values = heads is null || config.RopeLayout == ggufLayout
                ? tensor.ReadFloat32
                : ggufLayout == RopeLayout.AdjacentPairs
                    ? () => GgufRopePermutation.HalfSplitToAdjacentPairs(tensor.ReadFloat32(), heads.Value, config.ResolvedHeadDim)
                    : () => GgufRopePermutation.AdjacentPairsToHalfSplit(tensor.ReadFloat32(), heads.Value, config.ResolvedHeadDim);
            writer.AddTensor(ggufName, dimensions, type, values);
        }
        return writer;
    }

    /// <summary>q_proj rows (and bias) form query heads, k_proj rows key/value heads; other tensors are not rotated.</summary>
    private static int? RopeHeads(string name, LlamaConfig config) =>
        name.EndsWith(".self_attn.q_proj.weight", StringComparison.Ordinal) || name.EndsWith(".self_attn.q_proj.bias", StringComparison.Ordinal) ? config.NumAttentionHeads
        : name.EndsWith(".self_attn.k_proj.weight", StringComparison.Ordinal) || name.EndsWith(".self_attn.k_proj.bias", StringComparison.Ordinal) ? config.NumKeyValueHeads
        : null;

    private static (int Group, int Layer) TensorOrder(string name)
    {
        if (name == "model.embed_tokens.weight") return (0, 0);
        if (name.StartsWith("model.layers.", StringComparison.Ordinal))
        {
            var layerText = name["model.layers.".Length..].Split('.')[0];
            return (1, int.TryParse(layerText, out var layer) ? layer : int.MaxValue);
        }
        return (2, 0);
    }

    private static void AddConfig(GgufWriter writer, string arch, LlamaConfig config)
    {
        writer.AddMetadata($"{arch}.vocab_size", GgufValue.UInt32((uint)config.VocabSize));
        writer.AddMetadata($"{arch}.context_length", GgufValue.UInt32((uint)config.MaxPositionEmbeddings));
        writer.AddMetadata($"{arch}.embedding_length", GgufValue.UInt32((uint)config.HiddenSize));
        writer.AddMetadata($"{arch}.feed_forward_length", GgufValue.UInt32((uint)config.IntermediateSize));
        writer.AddMetadata($"{arch}.block_count", GgufValue.UInt32((uint)config.NumHiddenLayers));
        writer.AddMetadata($"{arch}.attention.head_count", GgufValue.UInt32((uint)config.NumAttentionHeads));
        writer.AddMetadata($"{arch}.attention.head_count_kv", GgufValue.UInt32((uint)config.NumKeyValueHeads));
        writer.AddMetadata($"{arch}.attention.layer_norm_rms_epsilon", GgufValue.Float32((float)config.RmsNormEps));
        writer.AddMetadata($"{arch}.rope.freq_base", GgufValue.Float32((float)config.RopeTheta));
        writer.AddMetadata($"{arch}.rope.dimension_count", GgufValue.UInt32((uint)config.ResolvedHeadDim));
        if (config.HeadDim > 0)
        {
            writer.AddMetadata($"{arch}.attention.key_length", GgufValue.UInt32((uint)config.HeadDim));
            writer.AddMetadata($"{arch}.attention.value_length", GgufValue.UInt32((uint)config.HeadDim));
        }
        switch (config.RopeScaling)
        {
            case null:
                break;
            case { Type: "linear" } scaling:
                writer.AddMetadata($"{arch}.rope.scaling.type", GgufValue.String("linear"));
                writer.AddMetadata($"{arch}.rope.scaling.factor", GgufValue.Float32((float)scaling.Factor));
                break;
            case var scaling:
                // llama.cpp stores llama3 scaling as a rope_freqs.weight tensor, which this mapping does not produce.
                throw new NotSupportedException($"RoPE scaling '{scaling.Type}' cannot be written to GGUF here (linear only)");
        }
    }

    private static void AddVocabulary(GgufWriter writer, GgufVocabulary vocabulary)
    {
        writer.AddMetadata("tokenizer.ggml.model", GgufValue.String(vocabulary.Model));
        if (vocabulary.Pre is not null) writer.AddMetadata("tokenizer.ggml.pre", GgufValue.String(vocabulary.Pre));
        writer.AddMetadata("tokenizer.ggml.tokens", GgufValue.Array(vocabulary.Tokens));
        if (vocabulary.Scores is not null) writer.AddMetadata("tokenizer.ggml.scores", GgufValue.Array(vocabulary.Scores));
        if (vocabulary.TokenTypes is not null) writer.AddMetadata("tokenizer.ggml.token_type", GgufValue.Array(vocabulary.TokenTypes));
        if (vocabulary.Merges is not null) writer.AddMetadata("tokenizer.ggml.merges", GgufValue.Array(vocabulary.Merges));
        AddTokenId(writer, "tokenizer.ggml.bos_token_id", vocabulary.BosId);
        AddTokenId(writer, "tokenizer.ggml.eos_token_id", vocabulary.EosId);
        AddTokenId(writer, "tokenizer.ggml.unknown_token_id", vocabulary.UnknownId);
        AddTokenId(writer, "tokenizer.ggml.padding_token_id", vocabulary.PaddingId);
        writer.AddMetadata("tokenizer.ggml.add_bos_token", GgufValue.Bool(vocabulary.AddBos));
        writer.AddMetadata("tokenizer.ggml.add_eos_token", GgufValue.Bool(vocabulary.AddEos));
    }

    private static void AddTokenId(GgufWriter writer, string key, int? id)
    {
        if (id is not null) writer.AddMetadata(key, GgufValue.UInt32((uint)id.Value));
    }
}
