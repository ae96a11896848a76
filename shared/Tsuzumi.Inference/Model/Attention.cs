using TorchSharp;
using Tsuzumi.Inference.Adapters;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>Grouped-query self-attention with rotary positions and a per-sequence KV cache.</summary>
public sealed class SelfAttention : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LinearProjection q_proj; // hidden → heads·headDim
    private readonly LinearProjection k_proj; // hidden → kvHeads·headDim
    private readonly LinearProjection v_proj; // hidden → kvHeads·headDim
    private readonly LinearProjection o_proj; // heads·headDim → hidden
#pragma warning restore IDE1006
    private readonly int layerIndex;
    private readonly long heads;
    private readonly long kvHeads;
    private readonly long headDim;

    public SelfAttention(string name, LlamaConfig config, int layerIndex, ScalarType dtype) : base(name)
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.ResolvedHeadDim;
        this.layerIndex = layerIndex;
        var prefix = $"model.layers.{layerIndex}.self_attn.";
        q_proj = new LinearProjection("q_proj", prefix + "q_proj", config.HiddenSize, heads * headDim, config.AttentionBias, dtype);
        k_proj = new LinearProjection("k_proj", prefix + "k_proj", config.HiddenSize, kvHeads * headDim, config.AttentionBias, dtype);
        v_proj = new LinearProjection("v_proj", prefix + "v_proj", config.HiddenSize, kvHeads * headDim, config.AttentionBias, dtype);
        o_proj = new LinearProjection("o_proj", prefix + "o_proj", heads * headDim, config.HiddenSize, false, dtype);
        RegisterComponents();
    }

    public IEnumerable<(string Name, LinearProjection Projection)> Projections =>
        new[] { ("q_proj", q_proj), ("k_proj", k_proj), ("v_proj", v_proj), ("o_proj", o_proj) };

    /// <summary>
    /// [batch, seq, hidden] → [batch, seq, hidden]. Row b holds new tokens at positions
    /// caches[b].Length .. +seq; projections run batched, attention per row against that row's cache.
    /// </summary>
    public Tensor Forward(Tensor hidden, IReadOnlyList<KvCache> caches, Tensor positions, RotaryEmbedding rope, AdapterBatch? adapters)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var sequence = hidden.shape[1];
        var q = q_proj.Forward(hidden, adapters).view(batch, sequence, heads, headDim).transpose(1, 2);   // [b, heads, seq, d]
        var k = k_proj.Forward(hidden, adapters).view(batch, sequence, kvHeads, headDim).transpose(1, 2); // [b, kvHeads, seq, d]
        var v = v_proj.Forward(hidden, adapters).view(batch, sequence, kvHeads, headDim).transpose(1, 2);
        q = rope.Apply(q, positions);
        k = rope.Apply(k, positions);

        var rows = new Tensor[batch];
        for (var b = 0; b < batch; b++)
        {
            var (keys, values) = caches[b].Append(layerIndex, k[b].unsqueeze(0), v[b].unsqueeze(0)); // [1, kvHeads, past+seq, d]
            rows[b] = Attend(q[b].unsqueeze(0), keys, values, caches[b].Length);
        }
        var attended = (batch == 1 ? rows[0] : cat(rows, 0)).transpose(1, 2).reshape(batch, sequence, heads * headDim);
        return o_proj.Forward(attended, adapters).MoveToOuterDisposeScope();
    }

    /// <summary>q [1, heads, seq, d] against keys/values [1, kvHeads, total, d]; query i sits at position past + i.</summary>
    private Tensor Attend(Tensor q, Tensor keys, Tensor values, long past)
    {
        var sequence = q.shape[2];
        var total = keys.shape[2];
        var groups = heads / kvHeads;
        if (groups > 1)
        {
            keys = keys.repeat_interleave(groups, dim: 1);
            values = values.repeat_interleave(groups, dim: 1);
        }
        Tensor? mask = null;
        if (sequence > 1)
        {
            // Causal over the whole cache: query i may see keys 0 .. past + i.
            var queryPositions = arange(past, past + sequence).unsqueeze(1);
            var keyPositions = arange(total).unsqueeze(0);
            mask = keyPositions <= queryPositions; // [seq, total] bool
        }
        return nn.functional.scaled_dot_product_attention(q, keys, values, mask);
    }
}
