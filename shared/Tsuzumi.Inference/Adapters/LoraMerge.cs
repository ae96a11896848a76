using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Adapters;

/// <summary>
/// Folds an adapter into the base weights (W += w·s·B·A) for single-adapter deployments, or takes it out again.
/// Arithmetic is fp32; in bf16 an unmerge restores the base only to bf16 rounding.
/// </summary>
public static class LoraMerge
{
    public static void Merge(LlamaForCausalLM model, LoraAdapter adapter, float weight = 1f) => Apply(model, adapter, weight);

    public static void Unmerge(LlamaForCausalLM model, LoraAdapter adapter, float weight = 1f) => Apply(model, adapter, -weight);

    private static void Apply(LlamaForCausalLM model, LoraAdapter adapter, float weight)
    {
        var projections = model.Projections.ToDictionary(projection => projection.ModulePath);
        if (model.Head is { } head) projections[head.ModulePath] = head;
        using var noGrad = no_grad();
        foreach (var (modulePath, pair) in adapter.Pairs)
        {
            if (!projections.TryGetValue(modulePath, out var projection))
                throw new ArgumentException(modulePath == LoraTargets.Head
                    ? $"adapter '{adapter.Id}' adapts lm_head, which is tied to the embeddings here: serve it unmerged"
                    : $"adapter '{adapter.Id}' adapts '{modulePath}', which the model does not have");
            using var scope = NewDisposeScope();
            var delta = matmul(pair.B.to(ScalarType.Float32), pair.A.to(ScalarType.Float32)).Times(weight * adapter.Scale); // [out, in]
            var updated = projection.Weight.to(ScalarType.Float32).Plus(delta);
            projection.Weight.copy_(updated.to(projection.Weight.dtype));
        }
    }
}
