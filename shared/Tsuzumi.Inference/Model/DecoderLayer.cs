using TorchSharp;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>One pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(·)).</summary>
public sealed class DecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly RmsNorm input_layernorm;
    private readonly SelfAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly Mlp mlp;
#pragma warning restore IDE1006

    public DecoderLayer(string name, LlamaConfig config, int layerIndex, ScalarType dtype) : base(name)
    {
        input_layernorm = new RmsNorm("input_layernorm", config.HiddenSize, config.RmsNormEps, dtype);
        self_attn = new SelfAttention("self_attn", config, layerIndex, dtype);
        post_attention_layernorm = new RmsNorm("post_attention_layernorm", config.HiddenSize, config.RmsNormEps, dtype);
        mlp = new Mlp("mlp", config, layerIndex, dtype);
        RegisterComponents();
    }

    public SelfAttention Attention => self_attn;

    public Mlp FeedForward => mlp;

    /// <summary>[batch, seq, hidden] → [batch, seq, hidden].</summary>
    public Tensor Forward(Tensor hidden, IReadOnlyList<KvCache> caches, Tensor positions, RotaryEmbedding rope, AdapterBatch? adapters, PooledDecodeStep? pooledStep = null)
    {
        using var scope = NewDisposeScope();
        var afterAttention = hidden.Plus(self_attn.Forward(input_layernorm.Forward(hidden), caches, positions, rope, adapters, pooledStep));
        return afterAttention.Plus(mlp.Forward(post_attention_layernorm.Forward(afterAttention), adapters)).MoveToOuterDisposeScope();
    }
}
