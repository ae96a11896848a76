using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// The usual GPT-2 / Llama initialisation for training from scratch: every matrix ~ N(0, 0.02), the projections that
/// write into the residual stream (o_proj, down_proj) scaled by 1/√(2·layers) so the stream's variance does not grow
/// with depth, norms at 1. The normal draws come from a seeded <see cref="Random"/> (Box–Muller, in parameter order)
/// rather than libtorch's generator: the weights then depend on the seed alone, not on libtorch's version or on other
/// code drawing from its global generator at the same time.
/// </summary>
public static class PretrainingInitialization
{
    public const double StandardDeviation = 0.02;

    public static void Initialize(LlamaForCausalLM model, int seed)
    {
        var random = new Random(seed);
        using var noGrad = no_grad();
        var residualStd = StandardDeviation / Math.Sqrt(2.0 * model.Config.NumHiddenLayers);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (parameter.dim() == 1)
                parameter.FillWith(name.EndsWith("_proj.bias", StringComparison.Ordinal) ? 0 : 1); // norm weights 1, biases 0
            else
            {
                using var values = tensor(Normal(random, parameter.numel(), IsResidualProjection(name) ? residualStd : StandardDeviation), parameter.shape);
                parameter.copy_(values);
            }
        }
    }

    /// <summary>Box–Muller: each pair of uniforms gives two independent N(0, σ²) values.</summary>
    private static float[] Normal(Random random, long count, double standardDeviation)
    {
        var values = new float[count];
        for (long i = 0; i < count; i += 2)
        {
            var radius = standardDeviation * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())); // 1 - u ∈ (0, 1]: no log 0
            var angle = 2 * Math.PI * random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < count) values[i + 1] = (float)(radius * Math.Sin(angle));
        }
        return values;
    }

    public static bool IsResidualProjection(string name) =>
        name.EndsWith("self_attn.o_proj.weight", StringComparison.Ordinal) || name.EndsWith("mlp.down_proj.weight", StringComparison.Ordinal);
}
