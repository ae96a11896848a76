using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Adapters;

/// <summary>
/// A GGUF LoRA file laid out by hand from llama.cpp's spec (convert_lora_to_gguf.py writes, llama-adapter.cpp reads),
/// through the generic <see cref="GgufWriter"/> only, never this project's adapter exporter. Tests edit
/// <see cref="Metadata"/> and <see cref="Tensors"/> to build broken files.
/// </summary>
internal sealed class HandWrittenGgufLora
{
    /// <summary>HF module name → llama.cpp tensor part, as convert_hf_to_gguf.py's tensor map names them.</summary>
    private static readonly Dictionary<string, string> LlamaCppParts = new()
    {
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    public sealed record Entry(string Name, long[] GgmlDimensions, GgufTensorType Type, float[] Values);

    public List<KeyValuePair<string, GgufValue>> Metadata { get; } = [];

    public List<Entry> Tensors { get; } = [];

    /// <summary>
    /// <paramref name="adapter"/> (in the base's half-split HF layout) as convert_lora_to_gguf.py writes it for the llama
    /// architecture: lora_a as ne [in, r], lora_b as ne [r, out], q/k lora_b rows permuted to adjacent pairs.
    /// </summary>
    public static HandWrittenGgufLora From(LoraAdapter adapter, LlamaConfig config, bool permuteQueryKey = true, GgufTensorType type = GgufTensorType.F32)
    {
        var file = new HandWrittenGgufLora();
        file.Metadata.Add(new("general.architecture", GgufValue.String("llama")));
        file.Metadata.Add(new("general.type", GgufValue.String("adapter")));
        file.Metadata.Add(new("adapter.type", GgufValue.String("lora")));
        file.Metadata.Add(new("adapter.lora.alpha", GgufValue.Float32((float)adapter.Config.Alpha)));
        foreach (var (modulePath, pair) in adapter.Pairs.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            var weightName = LlamaCppName(modulePath);
            var b = pair.B;
            if (permuteQueryKey && (modulePath.EndsWith("q_proj", StringComparison.Ordinal) || modulePath.EndsWith("k_proj", StringComparison.Ordinal)))
            {
                var heads = modulePath.EndsWith("q_proj", StringComparison.Ordinal) ? config.NumAttentionHeads : config.NumKeyValueHeads;
                // LlamaModel.permute: reshape(heads, 2, head_dim/2, r).swapaxes(1, 2); only B moves (LoraTorchTensor.permute).
                b = b.reshape(heads, 2, b.shape[0] / heads / 2, b.shape[1]).swapaxes(1, 2).reshape(b.shape).contiguous();
            }
            file.Tensors.Add(new(weightName + ".lora_a", [pair.A.shape[1], pair.A.shape[0]], type, pair.A.contiguous().data<float>().ToArray()));
            file.Tensors.Add(new(weightName + ".lora_b", [b.shape[1], b.shape[0]], type, b.data<float>().ToArray()));
        }
        return file;
    }

    public static string LlamaCppName(string modulePath)
    {
        if (modulePath == LoraTargets.Head) return "output.weight";
        var parts = modulePath.Split('.', 4); // model, layers, N, rest
        return $"blk.{parts[2]}.{LlamaCppParts[parts[3]]}.weight";
    }

    public void Set(string key, GgufValue value)
    {
        Metadata.RemoveAll(entry => entry.Key == key);
        Metadata.Add(new(key, value));
    }

    public void Remove(string key) => Metadata.RemoveAll(entry => entry.Key == key);

    public Entry Tensor(string name) => Tensors.Single(entry => entry.Name == name);

    public void Write(string path, int alignment = GgufFile.DefaultAlignment)
    {
        var writer = new GgufWriter(alignment);
        foreach (var (key, value) in Metadata) writer.AddMetadata(key, value);
        foreach (var entry in Tensors) writer.AddTensor(entry.Name, entry.GgmlDimensions, entry.Type, entry.Values);
        writer.WriteTo(path);
    }
}
