using TorchSharp;
using Tsuzumi.Inference.Adapters;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>The decoder stack: embeddings, layers, final norm (checkpoint prefix <c>model.</c>).</summary>
public sealed class LlamaModel : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly TokenEmbedding embed_tokens;
    private readonly nn.Module layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006
    private readonly DecoderLayer[] decoderLayers;

    public LlamaModel(string name, LlamaConfig config, ScalarType dtype) : base(name)
    {
        embed_tokens = new TokenEmbedding("embed_tokens", config.VocabSize, config.HiddenSize, dtype);
        decoderLayers = Enumerable.Range(0, config.NumHiddenLayers)
            .Select(index => new DecoderLayer(index.ToString(System.Globalization.CultureInfo.InvariantCulture), config, index, dtype))
            .ToArray();
        layers = new LayerList(decoderLayers);
        norm = new RmsNorm("norm", config.HiddenSize, config.RmsNormEps, dtype);
        RegisterComponents();
    }

    public TokenEmbedding Embeddings => embed_tokens;

    public IReadOnlyList<DecoderLayer> Layers => decoderLayers;

    /// <summary>[batch, seq] ids → [batch, seq, hidden] final hidden states.</summary>
    public Tensor Forward(Tensor tokenIds, IReadOnlyList<KvCache> caches, Tensor positions, RotaryEmbedding rope, AdapterBatch? adapters)
    {
        using var scope = NewDisposeScope();
        var pooledStep = PooledDecodeStep.For(caches, positions, tokenIds.shape[1]); // once per step, not per layer
        var hidden = embed_tokens.Forward(tokenIds);
        foreach (var layer in decoderLayers) hidden = layer.Forward(hidden, caches, positions, rope, adapters, pooledStep);
        return norm.Forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Registers the layers under "0", "1", … so their keys read <c>layers.N.…</c>.</summary>
    private sealed class LayerList : nn.Module
    {
        public LayerList(IEnumerable<DecoderLayer> layers) : base("layers")
        {
            foreach (var layer in layers) register_module(layer.GetName(), layer);
        }
    }
}
