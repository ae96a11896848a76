using TorchSharp;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// A Llama-family causal language model: <c>model.*</c> plus the output head <c>lm_head</c>
/// (absent when tied to the embeddings). Weights are frozen; all inference runs without autograd.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LlamaModel model;
    private readonly LinearProjection? lm_head; // hidden → vocab; null when tied
#pragma warning restore IDE1006
    private readonly RotaryEmbedding rope;

    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype) : base("LlamaForCausalLM")
    {
        config.Validate();
        Config = config;
        DType = dtype;
        model = new LlamaModel("model", config, dtype);
        if (!config.TieWordEmbeddings) lm_head = new LinearProjection("lm_head", "lm_head", config.HiddenSize, config.VocabSize, false, dtype);
        rope = new RotaryEmbedding(config);
        RegisterComponents();
    }

    public LlamaConfig Config { get; }

    /// <summary>The compute and storage dtype of the weights and activations (fp32 or bf16).</summary>
    public ScalarType DType { get; }

    public LlamaModel Decoder => model;

    /// <summary>Every linear layer an adapter can target, in layer order.</summary>
    public IEnumerable<LinearProjection> Projections => model.Layers.SelectMany(layer =>
        layer.Attention.Projections.Concat(layer.FeedForward.Projections).Select(named => named.Projection));

    /// <summary>A fresh, empty cache for one sequence.</summary>
    public KvCache CreateCache() => new(Config, DType);

    /// <summary>
    /// Runs new tokens [batch, seq] (int64) through the model, appending to each row's cache, and returns fp32
    /// logits [batch, seq, vocab] — or [batch, 1, vocab] for the last position only when <paramref name="lastOnly"/>.
    /// Every row must bring the same number of new tokens. With <paramref name="adapters"/>, each row adds its own
    /// LoRA corrections to the frozen base (unmerged serving).
    /// </summary>
    public Tensor Forward(Tensor tokenIds, IReadOnlyList<KvCache> caches, bool lastOnly = true, AdapterBatch? adapters = null)
    {
        if (tokenIds.shape[0] != caches.Count)
            throw new ArgumentException($"{tokenIds.shape[0]} rows of tokens but {caches.Count} caches");
        if (adapters is not null && adapters.RowCount != caches.Count)
            throw new ArgumentException($"{caches.Count} rows but adapters for {adapters.RowCount}");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sequence = tokenIds.shape[1];
        foreach (var cache in caches)
        {
            if (cache.Length + sequence > cache.MaxLength) throw new ContextWindowExceededException(cache.Length + sequence, cache.MaxLength);
        }
        var starts = tensor(caches.Select(cache => cache.Length).ToArray()).unsqueeze(1); // [batch, 1]
        var positions = starts.Plus(TensorArithmetic.Range(sequence).unsqueeze(0));          // [batch, seq]
        var hidden = model.Forward(tokenIds, caches, positions, rope, adapters);
        foreach (var cache in caches) cache.Advance(sequence);
        // contiguous: with several rows of several tokens the last positions are a strided view, and libtorch's bf16 GEMM
        // on a strided input is ~100× slower than on a copy (a [2, 2] prefill took 7 s instead of 0.1 s on the 0.5B model).
        if (lastOnly) hidden = hidden[TensorIndex.Colon, TensorIndex.Slice(-1)].contiguous();
        return OutputHead(hidden, adapters).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Training forward: logits [batch, seq, vocab] for every position, with autograd on, for sequences starting
    /// at position 0. Gradients reach whatever parameters (or adapter tensors) require them.
    /// </summary>
    public Tensor ForwardForTraining(Tensor tokenIds, AdapterBatch? adapters = null)
    {
        var caches = Enumerable.Range(0, (int)tokenIds.shape[0]).Select(_ => CreateCache()).ToArray();
        try
        {
            using var scope = NewDisposeScope();
            var sequence = tokenIds.shape[1];
            if (sequence > Config.MaxPositionEmbeddings) throw new ContextWindowExceededException(sequence, Config.MaxPositionEmbeddings);
            var positions = TensorArithmetic.Range(sequence).unsqueeze(0).expand(tokenIds.shape[0], sequence);
            var hidden = model.Forward(tokenIds, caches, positions, rope, adapters);
            return OutputHead(hidden, adapters).to(ScalarType.Float32).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var cache in caches) cache.Dispose();
        }
    }

    /// <summary>hidden [batch, seq, hidden] → logits [batch, seq, vocab], with any adapter of the head.</summary>
    private Tensor OutputHead(Tensor hidden, AdapterBatch? adapters)
    {
        if (lm_head is not null) return lm_head.Forward(hidden, adapters);
        var logits = LinearProjection.Project(hidden, model.Embeddings.Weight, null);
        var delta = adapters?.Delta(Adapters.LoraTargets.Head, hidden, Config.VocabSize);
        if (delta is null) return logits;
        using (delta) return logits.PlusInPlace(delta);
    }

    /// <summary>The untied output head, when the model has one.</summary>
    public LinearProjection? Head => lm_head;

    /// <summary>Builds the model and fills every parameter from <paramref name="checkpoint"/>; see <see cref="CheckpointLoader"/>.</summary>
    public static LlamaForCausalLM Load(Checkpoint checkpoint, ScalarType dtype) => CheckpointLoader.Load(checkpoint, dtype);

    protected override void Dispose(bool disposing)
    {
        if (disposing) rope.Dispose();
        base.Dispose(disposing);
    }
}
