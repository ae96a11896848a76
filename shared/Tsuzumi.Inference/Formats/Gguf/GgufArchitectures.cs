using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>Which llama.cpp architecture a Hugging Face model type is written as, and the q/k row layout it stores.</summary>
public static class GgufArchitectures
{
    /// <summary><c>general.architecture</c> for <paramref name="modelType"/>, as convert_hf_to_gguf.py names it; null when unmapped.</summary>
    public static string? ForModelType(string modelType) => modelType switch
    {
        "llama" or "mistral" => "llama",
        "qwen2" => "qwen2",
        _ => null,
    };

    /// <summary>llama stores q/k rows for GGML's adjacent-pair ("normal") RoPE; qwen2 uses NEOX mode, which is HF's half split.</summary>
    public static RopeLayout RopeLayoutOf(string architecture) => architecture == "qwen2" ? RopeLayout.HalfSplit : RopeLayout.AdjacentPairs;
}
