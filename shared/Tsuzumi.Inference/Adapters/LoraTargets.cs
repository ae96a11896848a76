using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Adapters;

/// <summary>The linear layers of a Llama decoder an adapter may target, by their Hugging Face module names.</summary>
public static class LoraTargets
{
    /// <summary>The decoder's linear layers, present in every layer.</summary>
    public static readonly IReadOnlyList<string> Layers = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>
    /// The output head. Worth adapting when the adapter must emit tokens the base almost never produced (its
    /// head rows for them are tiny, so no change of the hidden state can make them likely): EOS in a base
    /// trained without it, or Japanese byte tokens in an English-only base.
    /// </summary>
    public const string Head = "lm_head";

    /// <summary>Every module name an adapter may target.</summary>
    public static readonly IReadOnlyList<string> All = [.. Layers, Head];

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
        "head" or "lm_head" => Head,
        var unknown => throw new ArgumentException($"unknown LoRA target module '{unknown}' (known: {string.Join(", ", All)})"),
    };

    /// <summary>The module path of a target in layer <paramref name="layer"/>, e.g. <c>model.layers.3.self_attn.q_proj</c>.</summary>
    public static string ModulePath(int layer, string target) =>
        target == Head ? Head
        : target is "gate_proj" or "up_proj" or "down_proj"
            ? $"model.layers.{layer}.mlp.{target}"
            : $"model.layers.{layer}.self_attn.{target}";

    /// <summary>
    /// The layer and target of a module path exactly as <see cref="ModulePath"/> writes it (the head: layer −1); false for
    /// anything else. The layer is not checked against a model: callers say which base it does not fit.
    /// </summary>
    public static bool TryParseModulePath(string modulePath, out int layer, out string target)
    {
        layer = -1;
        target = Head;
        if (modulePath == Head) return true;
        var parts = modulePath.Split('.');
        if (parts.Length == 5 && parts[0] == "model" && parts[1] == "layers" && int.TryParse(parts[2], out layer)
            && Layers.Contains(parts[4]) && ModulePath(layer, parts[4]) == modulePath)
        {
            target = parts[4];
            return true;
        }
        target = "";
        return false;
    }

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
            Head => (hidden, config.VocabSize),
            _ => throw new ArgumentException($"unknown LoRA target module '{target}'"),
        };
    }
}
