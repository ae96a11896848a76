using TorchSharp;
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

    public LinearProjection(string name, long inFeatures, long outFeatures, bool hasBias, ScalarType dtype) : base(name)
    {
        weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype), requires_grad: false);
        if (hasBias) bias = new Parameter(zeros(outFeatures, dtype: dtype), requires_grad: false);
        RegisterComponents();
    }

    public long InFeatures => weight.shape[1];

    public long OutFeatures => weight.shape[0];

    public Parameter Weight => weight;

    public Parameter? Bias => bias;

    /// <summary>[.., in] → [.., out].</summary>
    public Tensor Forward(Tensor input) => Project(input, weight, bias);

    /// <summary>
    /// x·Wᵀ (+ b) for weight [out, in]: one row (a decode step) through <see cref="SingleRowProjection"/>, which streams
    /// W near memory bandwidth; several rows (prefill, batches) through libtorch's GEMM.
    /// </summary>
    internal static Tensor Project(Tensor input, Tensor weight, Tensor? bias) =>
        SingleRowProjection.Enabled && SingleRowProjection.Applies(input, weight)
            ? SingleRowProjection.Multiply(input, weight, bias)
            : nn.functional.linear(input, weight, bias);

    /// <summary>
    /// Several projections of the same input, concatenated: [.., in] → [.., Σ out_i]. A decode step computes them
    /// in one pass of the single-row kernel (q/k/v, gate/up); several rows go through libtorch one projection at a time.
    /// </summary>
    internal static Tensor ProjectConcatenated(Tensor input, IReadOnlyList<LinearProjection> projections)
    {
        var weights = projections.Select(projection => (Tensor)projection.weight).ToArray();
        if (!SingleRowProjection.Enabled || !SingleRowProjection.Applies(input, weights))
            return cat(projections.Select(projection => projection.Forward(input)).ToArray(), -1);
        var output = SingleRowProjection.MultiplyConcatenated(input, weights);
        if (projections.All(projection => projection.bias is null)) return output;
        using var scope = NewDisposeScope();
        var biases = projections.Select(projection => (Tensor?)projection.bias ?? zeros(projection.OutFeatures, dtype: output.dtype)).ToArray();
        return (output + cat(biases, 0)).MoveToOuterDisposeScope();
    }
}
