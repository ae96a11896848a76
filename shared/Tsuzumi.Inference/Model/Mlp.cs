using TorchSharp;
using Tsuzumi.Inference.Adapters;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
public sealed class Mlp : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly LinearProjection gate_proj; // hidden → intermediate
    private readonly LinearProjection up_proj;   // hidden → intermediate
    private readonly LinearProjection down_proj; // intermediate → hidden
#pragma warning restore IDE1006

    public Mlp(string name, LlamaConfig config, int layerIndex, ScalarType dtype) : base(name)
    {
        var prefix = $"model.layers.{layerIndex}.mlp.";
        gate_proj = new LinearProjection("gate_proj", prefix + "gate_proj", config.HiddenSize, config.IntermediateSize, false, dtype);
        up_proj = new LinearProjection("up_proj", prefix + "up_proj", config.HiddenSize, config.IntermediateSize, false, dtype);
        down_proj = new LinearProjection("down_proj", prefix + "down_proj", config.IntermediateSize, config.HiddenSize, false, dtype);
        RegisterComponents();
    }

    public IEnumerable<(string Name, LinearProjection Projection)> Projections =>
        new[] { ("gate_proj", gate_proj), ("up_proj", up_proj), ("down_proj", down_proj) };

    /// <summary>[.., hidden] → [.., hidden].</summary>
    public Tensor Forward(Tensor hidden, AdapterBatch? adapters)
    {
        using var scope = NewDisposeScope();
        var gateAndUp = LinearProjection.ProjectConcatenated(hidden, [gate_proj, up_proj], adapters); // [.., 2·intermediate]
        var intermediate = gate_proj.OutFeatures;
        var activated = nn.functional.silu(gateAndUp.narrow(-1, 0, intermediate)) * gateAndUp.narrow(-1, intermediate, intermediate);
        return down_proj.Forward(activated, adapters).MoveToOuterDisposeScope();
    }
}
