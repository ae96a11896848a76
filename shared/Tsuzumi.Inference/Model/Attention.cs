using TorchSharp;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Runtime;
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
    /// caches[b].Length .. +seq; projections run batched. Attention runs once for a decode step of rows whose caches
    /// share a <see cref="KvCachePool"/> (<paramref name="pooledStep"/>), otherwise per row against that row's cache.
    /// </summary>
    public Tensor Forward(Tensor hidden, IReadOnlyList<KvCache> caches, Tensor positions, RotaryEmbedding rope, AdapterBatch? adapters, PooledDecodeStep? pooledStep = null)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var sequence = hidden.shape[1];
        // One pass for q, k and v; heads then split as [b, heads | kvHeads | kvHeads, seq, d].
        var qkv = LinearProjection.ProjectConcatenated(hidden, [q_proj, k_proj, v_proj], adapters)
            .view(batch, sequence, heads + 2 * kvHeads, headDim).transpose(1, 2);
        var rotated = rope.Apply(qkv.narrow(1, 0, heads + kvHeads), positions); // q and k heads in one rotation
        var q = rotated.narrow(1, 0, heads);                  // [b, heads, seq, d]
        var k = rotated.narrow(1, heads, kvHeads);            // [b, kvHeads, seq, d]
        var v = qkv.narrow(1, heads + kvHeads, kvHeads);      // [b, kvHeads, seq, d]

        Tensor attended; // [b, heads, seq, d]
        if (pooledStep is not null)
        {
            // A decode step of rows sharing a pool: one append and one attention for all of them.
            var (keys, values) = pooledStep.Pool.AppendStep(layerIndex, pooledStep, k, v); // [b, kvHeads, longest, d]
            attended = AttendStep(q, keys, values, pooledStep.Mask);
        }
        else
        {
            var rows = new Tensor[batch];
            for (var b = 0; b < batch; b++)
            {
                var (keys, values) = caches[b].Append(layerIndex, k[b].unsqueeze(0), v[b].unsqueeze(0)); // [1, kvHeads, past+seq, d]
                rows[b] = Attend(q[b].unsqueeze(0), keys, values, caches[b].Length);
            }
            attended = batch == 1 ? rows[0] : cat(rows, 0);
        }
        return o_proj.Forward(attended.transpose(1, 2).reshape(batch, sequence, heads * headDim), adapters).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One new token per row, q [b, heads, 1, d], against keys/values [b, kvHeads, longest, d] padded to the longest
    /// row, <paramref name="mask"/> [b, 1, 1, longest] hiding each row's padding (null: rows of equal length). The query
    /// heads of a kv head fold into its query rows, as in <see cref="Attend"/>.
    /// </summary>
    private Tensor AttendStep(Tensor q, Tensor keys, Tensor values, Tensor? mask)
    {
        var batch = q.shape[0];
        var groups = heads / kvHeads;
        var grouped = q.reshape(batch, kvHeads, groups, headDim); // row g: head h·groups + g
        return nn.functional.scaled_dot_product_attention(grouped, keys, values, mask).reshape(batch, heads, 1, headDim);
    }

    /// <summary>
    /// q [1, heads, seq, d] against keys/values [1, kvHeads, total, d]; query i sits at position past + i.
    /// Query heads h·groups … h·groups + groups − 1 share kv head h, so they are folded into the query rows of that kv
    /// head ([1, kvHeads, groups·seq, d]) instead of copying the whole cache groups times.
    /// </summary>
    private Tensor Attend(Tensor q, Tensor keys, Tensor values, long past)
    {
        var sequence = q.shape[2];
        var total = keys.shape[2];
        var groups = heads / kvHeads;
        var grouped = q.reshape(1, kvHeads, groups * sequence, headDim); // row g·seq + i: head h·groups + g, query i
        Tensor? mask = null;
        if (sequence > 1)
        {
            // Causal over the whole cache: query i may see keys 0 .. past + i.
            var queryPositions = TensorArithmetic.Range(past, past + sequence).unsqueeze(1);
            var keyPositions = TensorArithmetic.Range(total).unsqueeze(0);
            mask = (keyPositions <= queryPositions).repeat(groups, 1); // [groups·seq, total] bool
        }
        return nn.functional.scaled_dot_product_attention(grouped, keys, values, mask).reshape(1, heads, sequence, headDim);
    }
}
