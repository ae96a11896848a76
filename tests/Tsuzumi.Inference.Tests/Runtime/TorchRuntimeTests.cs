using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Native_libtorch_loads_and_multiplies_matrices()
    {
        var report = TorchRuntime.SelfTest();

        Assert.True(report.Passed, report.Description);
        Assert.StartsWith("0.107", report.TorchSharpVersion);
    }

    [Fact]
    public void A_bf16_linear_layer_agrees_with_fp32_within_bf16_precision()
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(seed: 7);
        var weight = randn(new long[] { 64, 128 }, generator: generator);
        var input = randn(new long[] { 4, 128 }, generator: generator);

        var exact = nn.functional.linear(input, weight);
        var reduced = nn.functional.linear(input.to(ScalarType.BFloat16), weight.to(ScalarType.BFloat16)).to(ScalarType.Float32);

        var relativeError = ((exact - reduced).abs().max() / exact.abs().max()).item<float>();
        Assert.InRange(relativeError, 0f, 0.02f);
    }
}
