using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// The 0.5B-class Llama of the speed targets (hidden 1536, 16 layers, 12 heads, 4 kv heads, FFN 4096, vocab 32000),
/// with seeded random weights. Speed depends on shapes and bytes, not on trained values, so random weights measure
/// the same thing. Tensors are generated one at a time while the GGUF is written: memory stays at one tensor.
/// </summary>
internal static class SyntheticLlama
{
    private const int Seed = 20240611;

    public static LlamaConfig Config { get; } = new()
    {
        VocabSize = 32000,
        HiddenSize = 1536,
        IntermediateSize = 4096,
        NumHiddenLayers = 16,
        NumAttentionHeads = 12,
        NumKeyValueHeads = 4,
        MaxPositionEmbeddings = 2048,
        RopeLayout = RopeLayout.AdjacentPairs, // GGUF's llama layout: the writer stores the rows as they are
        TieWordEmbeddings = false,
    };

    /// <summary>
    /// Returns <paramref name="path"/>, writing it first unless a complete file is already there. The file is
    /// written under a temporary name and renamed, so an interrupted run never leaves a file that looks finished.
    /// </summary>
    public static string EnsureWritten(string path, GgufTensorType storage, TextWriter log)
    {
        if (IsComplete(path)) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var partial = path + ".partial";
        log.WriteLine($"writing synthetic 0.5B-class model as {storage}: {path}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var checkpoint = CreateCheckpoint(path))
        {
            GgufCheckpointWriter.Write(checkpoint, CreateVocabulary(), partial, storage);
        }
        File.Move(partial, path, overwrite: true);
        log.WriteLine($"  wrote {new FileInfo(path).Length / 1e9:F2} GB in {clock.Elapsed.TotalSeconds:F0} s");
        return path;
    }

    /// <summary>A file counts as complete when it parses, has every tensor, and its data section is all there.</summary>
    private static bool IsComplete(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var file = GgufFile.Open(path);
            var expectedTensors = 3 + 9 * Config.NumHiddenLayers; // embeddings, final norm, head + 9 per layer
            var end = file.Tensors.Max(tensor => file.DataOffset + tensor.Offset + tensor.ByteCount);
            return file.Tensors.Count == expectedTensors
                   && file.GetMetadata("llama.embedding_length").AsInt64() == Config.HiddenSize
                   && file.GetMetadata("llama.block_count").AsInt64() == Config.NumHiddenLayers
                   && new FileInfo(path).Length >= end;
        }
        catch (Exception broken) when (broken is ModelFormatException or IOException or KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Every tensor of the model, each generated on demand from a seed derived from its name.</summary>
    private static Checkpoint CreateCheckpoint(string path)
    {
        var config = Config;
        var hidden = (long)config.HiddenSize;
        var kv = (long)config.NumKeyValueHeads * config.ResolvedHeadDim;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["model.embed_tokens.weight"] = [config.VocabSize, hidden],
            ["model.norm.weight"] = [hidden],
            ["lm_head.weight"] = [config.VocabSize, hidden],
        };
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            shapes[prefix + "input_layernorm.weight"] = [hidden];
            shapes[prefix + "post_attention_layernorm.weight"] = [hidden];
            shapes[prefix + "self_attn.q_proj.weight"] = [hidden, hidden];
            shapes[prefix + "self_attn.k_proj.weight"] = [kv, hidden];
            shapes[prefix + "self_attn.v_proj.weight"] = [kv, hidden];
            shapes[prefix + "self_attn.o_proj.weight"] = [hidden, hidden];
            shapes[prefix + "mlp.gate_proj.weight"] = [config.IntermediateSize, hidden];
            shapes[prefix + "mlp.up_proj.weight"] = [config.IntermediateSize, hidden];
            shapes[prefix + "mlp.down_proj.weight"] = [hidden, config.IntermediateSize];
        }
        var tensors = shapes.ToDictionary(
            entry => entry.Key,
            entry => new CheckpointTensor(entry.Key, entry.Value, "F32", () => Generate(entry.Key, entry.Value)),
            StringComparer.Ordinal);
        return new Checkpoint(path, config, tensors, Tokenizer: null, ChatTemplate: null);
    }

    /// <summary>Norm weights are ones; matrices uniform with std 0.02 (a typical Llama initialisation), fixed by name.</summary>
    private static float[] Generate(string name, long[] shape)
    {
        var count = shape.Aggregate(1L, (product, dimension) => product * dimension);
        var values = new float[count];
        if (shape.Length == 1)
        {
            Array.Fill(values, 1f);
            return values;
        }
        var random = new Random(HashCode.Combine(Seed, StableHash(name)));
        var halfWidth = 0.02f * MathF.Sqrt(3f);
        for (var i = 0; i < values.Length; i++) values[i] = (random.NextSingle() * 2f - 1f) * halfWidth;
        return values;
    }

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var character in text) hash = unchecked(hash * 31 + character);
        return hash;
    }

    /// <summary>
    /// llama.cpp refuses a GGUF without a tokenizer, so the file carries a SentencePiece-style vocabulary of the
    /// right size: the three specials, the 256 byte tokens, and placeholder pieces. Benchmarks feed token ids directly.
    /// </summary>
    private static GgufVocabulary CreateVocabulary()
    {
        var size = Config.VocabSize;
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        tokens[0] = "<unk>"; types[0] = 2;
        tokens[1] = "<s>"; types[1] = 3;
        tokens[2] = "</s>"; types[2] = 3;
        for (var b = 0; b < 256; b++)
        {
            tokens[3 + b] = $"<0x{b:X2}>";
            types[3 + b] = 6;
        }
        for (var id = 259; id < size; id++)
        {
            tokens[id] = $"\u2581piece{id}";
            scores[id] = -id;
            types[id] = 1;
        }
        return new GgufVocabulary("llama", tokens, scores, types, Merges: null, BosId: 1, EosId: 2, UnknownId: 0,
            PaddingId: null, AddBos: true, AddEos: false, Pre: null);
    }
}
