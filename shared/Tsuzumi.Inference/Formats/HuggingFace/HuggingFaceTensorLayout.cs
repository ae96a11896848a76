using System.Text.RegularExpressions;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Formats.HuggingFace;

/// <summary>The tensors transformers' LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM hold, with their shapes.</summary>
public static partial class HuggingFaceTensorLayout
{
    public const string EmbeddingName = "model.embed_tokens.weight";
    public const string OutputName = "lm_head.weight";

    /// <summary>Every tensor a checkpoint of <paramref name="config"/> must carry, in the order transformers creates them.</summary>
    /// <remarks><c>lm_head.weight</c> is left out when the embeddings are tied: then it is the embedding matrix.</remarks>
    public static IReadOnlyList<(string Name, long[] Shape)> Expected(LlamaConfig config)
    {
        long hidden = config.HiddenSize, intermediate = config.IntermediateSize, vocab = config.VocabSize;
        long queryWidth = (long)config.NumAttentionHeads * config.ResolvedHeadDim;
        long keyValueWidth = (long)config.NumKeyValueHeads * config.ResolvedHeadDim;

        var tensors = new List<(string, long[])> { (EmbeddingName, [vocab, hidden]) };
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            tensors.Add((prefix + "self_attn.q_proj.weight", [queryWidth, hidden]));
            tensors.Add((prefix + "self_attn.k_proj.weight", [keyValueWidth, hidden]));
            tensors.Add((prefix + "self_attn.v_proj.weight", [keyValueWidth, hidden]));
            if (config.AttentionBias)
            {
                tensors.Add((prefix + "self_attn.q_proj.bias", [queryWidth]));
                tensors.Add((prefix + "self_attn.k_proj.bias", [keyValueWidth]));
                tensors.Add((prefix + "self_attn.v_proj.bias", [keyValueWidth]));
            }
            tensors.Add((prefix + "self_attn.o_proj.weight", [hidden, queryWidth]));
            tensors.Add((prefix + "mlp.gate_proj.weight", [intermediate, hidden]));
            tensors.Add((prefix + "mlp.up_proj.weight", [intermediate, hidden]));
            tensors.Add((prefix + "mlp.down_proj.weight", [hidden, intermediate]));
            tensors.Add((prefix + "input_layernorm.weight", [hidden]));
            tensors.Add((prefix + "post_attention_layernorm.weight", [hidden]));
        }
        tensors.Add(("model.norm.weight", [hidden]));
        if (!config.TieWordEmbeddings) tensors.Add((OutputName, [vocab, hidden]));
        return tensors;
    }

    /// <summary>Old transformers saved RoPE's inverse frequencies as a buffer; they follow from the config, so they are skipped.</summary>
    public static bool IsHarmlessExtra(string name) => RotaryInverseFrequency().IsMatch(name);

    /// <summary>Heads whose rows carry RoPE's rotation (q and k, weights and biases), with the head count that splits them.</summary>
    public static int? RotaryHeadCount(string name, LlamaConfig config) => name switch
    {
        _ when name.EndsWith(".self_attn.q_proj.weight", StringComparison.Ordinal)
            || name.EndsWith(".self_attn.q_proj.bias", StringComparison.Ordinal) => config.NumAttentionHeads,
        _ when name.EndsWith(".self_attn.k_proj.weight", StringComparison.Ordinal)
            || name.EndsWith(".self_attn.k_proj.bias", StringComparison.Ordinal) => config.NumKeyValueHeads,
        _ => null,
    };

    [GeneratedRegex(@"^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$")]
    private static partial Regex RotaryInverseFrequency();
}
