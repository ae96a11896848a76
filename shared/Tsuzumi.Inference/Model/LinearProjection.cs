using TorchSharp;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// y = x·Wᵀ (+ b). Weights are created uninitialised: they are always overwritten by a checkpoint, and
/// random initialisation of a 0.5B model would cost seconds. Field names equal checkpoint keys.
/// </summary>
public sealed class LinearProjection : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter weight; // [out, in]
    private readonly Parameter? bias;  // [out]
#pragma warning restore IDE1006

    /// <param name="modulePath">The full checkpoint path (<c>model.layers.3.self_attn.q_proj</c>): adapters are keyed by it.</param>
    public LinearProjection(string name, string modulePath, long inFeatures, long outFeatures, bool hasBias, ScalarType dtype) : base(name)
    {
        ModulePath = modulePath;
        weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype), requires_grad: false);
        if (hasBias) bias = new Parameter(zeros(outFeatures, dtype: dtype), requires_grad: false);
        RegisterComponents();
    }

    public string ModulePath { get; }

    public long InFeatures => weight.shape[1];

    public long OutFeatures => weight.shape[0];

    public Parameter Weight => weight;

    public Parameter? Bias => bias;

    /// <summary>[batch, seq, in] → [batch, seq, out], plus each row's low-rank adapter corrections when given.</summary>
    public Tensor Forward(Tensor input, AdapterBatch? adapters = null)
    {
        var output = Project(input, weight, bias);
        if (adapters is null || adapters.TryAddInto(input, output, [(ModulePath, 0, (int)OutFeatures)])) return output;
        var delta = adapters.Delta(ModulePath, input, OutFeatures);
        if (delta is null) return output;
        using (delta) return output.PlusInPlace(delta);
    }

    /// <summary>
    /// x·Wᵀ (+ b) for weight [out, in]: one row (a decode step), or up to 16 rows (a batch of decode steps; bf16 ones
    /// only where the native AVX512-BF16 kernel is available), through <see cref="SingleRowProjection"/>, which streams W
    /// near memory bandwidth; more rows (prefill) through libtorch's GEMM.
    /// </summary>
    internal static Tensor Project(Tensor input, Tensor weight, Tensor? bias) =>
        SingleRowProjection.Enabled && SingleRowProjection.Applies(input, weight)
            ? SingleRowProjection.Multiply(input, weight, bias)
            : nn.functional.linear(input, weight, bias);

    /// <summary>
    /// Several projections of the same input, concatenated: [.., in] → [.., Σ out_i]. A decode step computes them
    /// in one pass of the single-row kernel (q/k/v, gate/up); rows it does not take go through libtorch one projection at a time.
    /// </summary>
    internal static Tensor ProjectConcatenated(Tensor input, IReadOnlyList<LinearProjection> projections, AdapterBatch? adapters = null)
    {
        var weights = projections.Select(projection => (Tensor)projection.weight).ToArray();
        if (!SingleRowProjection.Enabled || !SingleRowProjection.Applies(input, weights))
            return cat(projections.Select(projection => projection.Forward(input, adapters)).ToArray(), -1);
        using var scope = NewDisposeScope();
        var output = SingleRowProjection.MultiplyConcatenated(input, weights);
        if (projections.Any(projection => projection.bias is not null))
            output = output.Plus(cat(projections.Select(projection => (Tensor?)projection.bias ?? zeros(projection.OutFeatures, dtype: output.dtype)).ToArray(), 0));
        if (adapters is not null && !adapters.TryAddInto(input, output, ColumnRanges(projections)))
        {
            // Each projection's own low-rank correction, laid out as the concatenated output is.
            var deltas = projections.Select(projection => adapters.Delta(projection.ModulePath, input, projection.OutFeatures)).ToArray();
            if (deltas.Any(delta => delta is not null))
            {
                var shape = input.shape;
                output = output.Plus(cat(deltas.Select((delta, index) =>
                    delta ?? zeros([.. shape[..^1], projections[index].OutFeatures], dtype: output.dtype)).ToArray(), -1));
            }
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Where each projection's columns start in the concatenated output, and how many it has.</summary>
    private static (string ModulePath, int Offset, int Outputs)[] ColumnRanges(IReadOnlyList<LinearProjection> projections)
    {
        var ranges = new (string, int, int)[projections.Count];
        var offset = 0;
        for (var i = 0; i < projections.Count; i++)
        {
            ranges[i] = (projections[i].ModulePath, offset, (int)projections[i].OutFeatures);
            offset += (int)projections[i].OutFeatures;
        }
        return ranges;
    }
}
