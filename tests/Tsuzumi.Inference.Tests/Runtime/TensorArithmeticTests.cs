using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Runtime;

/// <summary>
/// A TorchSharp Scalar made for one call (x + ε, the alpha = 1 of a + b, arange(n)) used to be finalised and freed
/// while libtorch still read it: a "toFloat" check failing inside add, or silently different numbers. These tests run
/// the model's operations under <see cref="CollectionPressure"/>.
/// </summary>
public sealed class TensorArithmeticTests
{
    private static readonly long[] Prompt = [5, 17, 42, 8, 63, 21];

    [Fact]
    public void Rms_norms_on_two_threads_keep_their_output_while_another_thread_runs_collections_and_finalisers()
    {
        using var norm = new RmsNorm("norm", 32, 1e-5, ScalarType.Float32);
        using var input = linspace(-2, 2, 64).view(2, 32);
        var expected = Normalised(norm, input);

        var (passes, failures) = CollectionPressure.UnderCollections(() => Compare(Normalised(norm, input), expected));

        Assert.True(failures.Length == 0, $"after {passes} passes: {string.Join(" | ", failures)}");
    }

    [Fact]
    public void Forward_passes_on_two_threads_keep_their_logits_while_another_thread_runs_collections_and_finalisers()
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
        var expected = Logits(model);

        var (passes, failures) = CollectionPressure.UnderCollections(() => Compare(Logits(model), expected));

        Assert.True(failures.Length == 0, $"after {passes} passes: {string.Join(" | ", failures)}");
        Assert.True(passes > 10, $"only {passes} forward passes ran");
    }

    private static string? Compare(float[] actual, float[] expected)
    {
        var worst = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        return worst > 1e-5f ? $"values moved by up to {worst}" : null;
    }

    private static float[] Normalised(RmsNorm norm, Tensor input)
    {
        using var output = norm.Forward(input);
        return output.data<float>().ToArray();
    }

    private static float[] Logits(LlamaForCausalLM model)
    {
        using var cache = model.CreateCache();
        using var ids = tensor(Prompt, [1, Prompt.Length]);
        using var logits = model.Forward(ids, [cache], lastOnly: false);
        return logits.data<float>().ToArray();
    }
}
