using TorchSharp;
using Tsuzumi.Inference.Adapters;
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
        var output = nn.functional.linear(input, weight, bias);
        var delta = adapters?.Delta(ModulePath, input, OutFeatures);
        if (delta is null) return output;
        using (delta) return output.add_(delta);
    }
}
