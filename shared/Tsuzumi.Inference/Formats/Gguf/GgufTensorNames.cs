using System.Text.RegularExpressions;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>llama.cpp tensor names ⇄ Hugging Face names for the llama / qwen2 architectures.</summary>
public static partial class GgufTensorNames
{
    private static readonly (string Gguf, string HuggingFace)[] Globals =
    [
        ("token_embd.weight", "model.embed_tokens.weight"),
        ("output_norm.weight", "model.norm.weight"),
        ("output.weight", "lm_head.weight"),
    ];

    /// <summary>Per-layer parts: (GGUF part, HF part, may carry a bias).</summary>
    private static readonly (string Gguf, string HuggingFace, bool Bias)[] LayerParts =
    [
        ("attn_norm", "input_layernorm", false),
        ("attn_q", "self_attn.q_proj", true),
        ("attn_k", "self_attn.k_proj", true),
        ("attn_v", "self_attn.v_proj", true),
        ("attn_output", "self_attn.o_proj", true),
        ("ffn_norm", "post_attention_layernorm", false),
        ("ffn_gate", "mlp.gate_proj", false),
        ("ffn_up", "mlp.up_proj", false),
        ("ffn_down", "mlp.down_proj", false),
    ];

    /// <summary>The HF parts every layer must have (all with a <c>.weight</c>).</summary>
    public static IEnumerable<string> RequiredLayerParts => LayerParts.Select(part => part.HuggingFace);

    /// <summary>The Hugging Face name, or null when the GGUF name is not one this mapping knows.</summary>
    public static string? ToHuggingFace(string ggufName)
    {
        foreach (var (gguf, huggingFace) in Globals)
            if (gguf == ggufName) return huggingFace;
        var match = GgufLayerName().Match(ggufName);
        if (!match.Success) return null;
        var part = LayerParts.FirstOrDefault(candidate => candidate.Gguf == match.Groups["part"].Value);
        var suffix = match.Groups["suffix"].Value;
        if (part.Gguf is null || (suffix == "bias" && !part.Bias) || !IsCanonical(match)) return null;
        return $"model.layers.{match.Groups["layer"].Value}.{part.HuggingFace}.{suffix}";
    }

    /// <summary>The GGUF name, or null when the Hugging Face name is not one this mapping knows.</summary>
    public static string? ToGguf(string huggingFaceName)
    {
        foreach (var (gguf, huggingFace) in Globals)
            if (huggingFace == huggingFaceName) return gguf;
        var match = HuggingFaceLayerName().Match(huggingFaceName);
        if (!match.Success) return null;
        var part = LayerParts.FirstOrDefault(candidate => candidate.HuggingFace == match.Groups["part"].Value);
        var suffix = match.Groups["suffix"].Value;
        if (part.Gguf is null || (suffix == "bias" && !part.Bias) || !IsCanonical(match)) return null;
        return $"blk.{match.Groups["layer"].Value}.{part.Gguf}.{suffix}";
    }

    /// <summary>Canonical decimal only ("blk.01" would alias "blk.1").</summary>
    private static bool IsCanonical(Match match) => match.Groups["layer"].Value is var digits && (digits.Length == 1 || digits[0] != '0');

    [GeneratedRegex(@"^blk\.(?<layer>[0-9]{1,6})\.(?<part>[a-z_]+)\.(?<suffix>weight|bias)$")]
    private static partial Regex GgufLayerName();

    [GeneratedRegex(@"^model\.layers\.(?<layer>[0-9]{1,6})\.(?<part>[a-z_.]+)\.(?<suffix>weight|bias)$")]
    private static partial Regex HuggingFaceLayerName();
}
