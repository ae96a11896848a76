using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Adapters;

/// <summary>The linear layers of a Llama decoder an adapter may target, by their Hugging Face module names.</summary>
public static class LoraTargets
{
    public static readonly IReadOnlyList<string> All = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Short names the CLI accepts (<c>--targets q,k,v</c>) → module names.</summary>
    public static string Resolve(string name) => name.Trim() switch
    {
        "q" or "q_proj" => "q_proj",
        "k" or "k_proj" => "k_proj",
        "v" or "v_proj" => "v_proj",
        "o" or "o_proj" => "o_proj",
        "gate" or "gate_proj" => "gate_proj",
        "up" or "up_proj" => "up_proj",
        "down" or "down_proj" => "down_proj",
        var unknown => throw new ArgumentException($"unknown LoRA target module '{unknown}' (known: {string.Join(", ", All)})"),
    };

    /// <summary>The module path of a target in layer <paramref name="layer"/>, e.g. <c>model.layers.3.self_attn.q_proj</c>.</summary>
    public static string ModulePath(int layer, string target) =>
        target is "gate_proj" or "up_proj" or "down_proj"
            ? $"model.layers.{layer}.mlp.{target}"
            : $"model.layers.{layer}.self_attn.{target}";

    /// <summary>(in, out) features of <paramref name="target"/> in a model of <paramref name="config"/>.</summary>
    public static (long In, long Out) Shape(LlamaConfig config, string target)
    {
        long hidden = config.HiddenSize, headDim = config.ResolvedHeadDim;
        return target switch
        {
            "q_proj" => (hidden, config.NumAttentionHeads * headDim),
            "k_proj" or "v_proj" => (hidden, config.NumKeyValueHeads * headDim),
            "o_proj" => (config.NumAttentionHeads * headDim, hidden),
            "gate_proj" or "up_proj" => (hidden, config.IntermediateSize),
            "down_proj" => (config.IntermediateSize, hidden),
            _ => throw new ArgumentException($"unknown LoRA target module '{target}'"),
        };
    }
}
