using TorchSharp;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// Rotary position embedding with precomputed cos/sin tables, in either pairing layout
/// (see <see cref="RopeLayout"/>) and with <c>linear</c> or <c>llama3</c> frequency scaling.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor cos; // [maxPositions, headDim/2] fp32
    private readonly Tensor sin; // [maxPositions, headDim/2] fp32
    private readonly RopeLayout layout;

    public RotaryEmbedding(LlamaConfig config)
    {
        layout = config.RopeLayout;
        var frequencies = InverseFrequencies(config.ResolvedHeadDim, config.RopeTheta, config.RopeScaling);
        using var scope = NewDisposeScope();
        var positions = TensorArithmetic.Range(config.MaxPositionEmbeddings, ScalarType.Float64);
        var angles = outer(positions, tensor(frequencies, dtype: ScalarType.Float64)); // [maxPositions, headDim/2]
        cos = angles.cos().to(ScalarType.Float32).MoveToOuterDisposeScope();
        sin = angles.sin().to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public long MaxPositions => cos.shape[0];

    /// <summary>θᵢ = base^(−2i/d), rescaled as <paramref name="scaling"/> asks.</summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var frequencies = new double[headDim / 2];
        for (var i = 0; i < frequencies.Length; i++) frequencies[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return frequencies;
        if (scaling.Type == "linear")
            return frequencies.Select(frequency => frequency / scaling.Factor).ToArray();

        // llama3: long wavelengths are slowed by the factor, short ones kept, the band between blended.
        var lowFrequencyWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFrequencyFactor;
        var highFrequencyWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFrequencyFactor;
        return frequencies.Select(frequency =>
        {
            var wavelength = 2 * Math.PI / frequency;
            if (wavelength < highFrequencyWavelength) return frequency;
            if (wavelength > lowFrequencyWavelength) return frequency / scaling.Factor;
            var smooth = (scaling.OriginalMaxPositionEmbeddings / wavelength - scaling.LowFrequencyFactor)
                         / (scaling.HighFrequencyFactor - scaling.LowFrequencyFactor);
            return (1 - smooth) * frequency / scaling.Factor + smooth * frequency;
        }).ToArray();
    }

    /// <summary>Rotates [batch, heads, seq, headDim] whose rows sit at positions [batch, seq].</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        using var scope = NewDisposeScope();
        var c = cos[positions].unsqueeze(1); // [batch, 1, seq, headDim/2]
        var s = sin[positions].unsqueeze(1);
        var input = x.to(ScalarType.Float32);
        Tensor rotated;
        if (layout == RopeLayout.AdjacentPairs)
        {
            var pairs = input.unflatten(input.dim() - 1, new long[] { -1, 2 }); // [.., headDim/2, 2]
            var even = pairs.select(-1, 0);
            var odd = pairs.select(-1, 1);
            rotated = stack(new[] { even * c - odd * s, (even * s).Plus(odd * c) }, -1).flatten(-2);
        }
        else
        {
            var half = input.shape[^1] / 2;
            var first = input[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)];
            var second = input[TensorIndex.Ellipsis, TensorIndex.Slice(half)];
            rotated = cat(new[] { first * c - second * s, (second * c).Plus(first * s) }, -1);
        }
        return rotated.to(x.dtype).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        cos.Dispose();
        sin.Dispose();
    }
}
