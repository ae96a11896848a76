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
}
