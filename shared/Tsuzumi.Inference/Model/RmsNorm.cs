using TorchSharp;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Model;

/// <summary>RMSNorm: x / sqrt(mean(x²) + ε) · w, computed in fp32 whatever the activation dtype (as llama.cpp does).</summary>
public sealed class RmsNorm : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter weight; // [hidden]
#pragma warning restore IDE1006
    private readonly double epsilon;

    public RmsNorm(string name, long hiddenSize, double epsilon, ScalarType dtype) : base(name)
    {
        weight = new Parameter(ones(hiddenSize, dtype: dtype), requires_grad: false);
        this.epsilon = epsilon;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>[.., hidden] → [.., hidden] in the input's dtype.</summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var normalised = x * rsqrt(x.Squared().mean(new long[] { -1 }, keepdim: true).Plus(epsilon));
        return (normalised.to(input.dtype) * weight).MoveToOuterDisposeScope();
    }
}
