using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Model;

/// <summary>The C# single-row kernel against libtorch's <c>linear</c> on the same weights: same numbers, same shapes.</summary>
public sealed class SingleRowProjectionTests
{
    // Odd sizes reach every tail: rows not a multiple of 4 or of a chunk, columns not a multiple of 16 or 32.
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 16 },
        { 7, 45 },
        { 97, 70 },
        { 300, 1536 },
        { 130, 4096 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void One_fp32_row_matches_libtorch_linear_up_to_summation_order(int outFeatures, int inFeatures)
    {
        using var scope = NewDisposeScope();
        var (input, weight) = Random(outFeatures, inFeatures, ScalarType.Float32, seed: outFeatures * 1000 + inFeatures);

        var ours = SingleRowProjection.Multiply(input, weight, null);
        var expected = nn.functional.linear(input, weight);

        Assert.Equal(expected.shape, ours.shape);
        // Sums of n unit-variance products carry rounding of about n·ε (ε ≈ 1.2e-7) in any order; a wrong term is off by ~1.
        Assert.True(ours.allclose(expected, rtol: 1e-5, atol: 1e-6 * inFeatures), $"largest difference {(ours - expected).abs().max().item<float>()}");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void One_bf16_row_matches_fp32_arithmetic_on_the_same_bf16_values_rounded_once(int outFeatures, int inFeatures)
    {
        using var scope = NewDisposeScope();
        var (input, weight) = Random(outFeatures, inFeatures, ScalarType.BFloat16, seed: outFeatures + inFeatures);

        var ours = SingleRowProjection.Multiply(input, weight, null);
        // The kernel widens bf16 to fp32, accumulates in fp32 and rounds the sum to bf16 once.
        var exact = nn.functional.linear(input.to(ScalarType.Float32), weight.to(ScalarType.Float32));

        Assert.Equal(ScalarType.BFloat16, ours.dtype);
        var difference = (ours.to(ScalarType.Float32) - exact).abs();
        var halfUlp = exact.abs().Times(1.0 / 256).Plus(1e-6); // bf16 keeps 8 significant bits
        Assert.True(difference.le(halfUlp).all().item<bool>(), $"largest difference {difference.max().item<float>()}");
    }

    [Fact]
    public void A_bias_is_added_and_leading_dimensions_are_kept()
    {
        using var scope = NewDisposeScope();
        var (input, weight) = Random(33, 64, ScalarType.Float32, seed: 3);
        var bias = randn(33, generator: new Generator(4));
        var row = input.view(1, 1, 64); // [batch, seq, hidden] as a decode step brings it

        var ours = SingleRowProjection.Multiply(row, weight, bias);

        Assert.Equal(new long[] { 1, 1, 33 }, ours.shape);
        Assert.True(ours.allclose(nn.functional.linear(row, weight, bias), rtol: 1e-5, atol: 1e-5));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void Projections_sharing_an_input_come_out_concatenated_in_order(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var input = randn(1, 1, 96, generator: generator).to(dtype);
        Tensor[] weights = [randn(96, 96, generator: generator).to(dtype), randn(32, 96, generator: generator).to(dtype), randn(70, 96, generator: generator).to(dtype)];

        var together = SingleRowProjection.MultiplyConcatenated(input, weights);
        var separately = cat(weights.Select(weight => SingleRowProjection.Multiply(input, weight, null)).ToArray(), -1);

        Assert.Equal(new long[] { 1, 1, 198 }, together.shape);
        Assert.True(together.eq(separately).all().item<bool>(), "each weight's rows must land at its offset, computed exactly as alone");
    }

    [Fact]
    public void Many_rows_requiring_grad_or_mixed_dtypes_are_left_to_libtorch()
    {
        using var scope = NewDisposeScope();
        var weight = zeros(8, 16);

        Assert.True(SingleRowProjection.Applies(zeros(1, 1, 16), weight));
        Assert.True(SingleRowProjection.Applies(zeros(8, 1, 16), weight));
        Assert.True(SingleRowProjection.Applies(zeros(2, 8, 16), weight));
        Assert.False(SingleRowProjection.Applies(zeros(1, SingleRowProjection.MaxRows + 1, 16), weight));
        Assert.False(SingleRowProjection.Applies(zeros(2, 8), weight)); // same element count, wrong row length
        Assert.True(SingleRowProjection.Applies(zeros(1, 16, dtype: ScalarType.BFloat16), weight.to(ScalarType.BFloat16)));
        // Several bf16 rows: the native vdpbf16ps kernel where it was built and the CPU has AVX512-BF16, else libtorch's GEMM (faster than widening in C#).
        Assert.Equal(NativeBf16Rows.Available, SingleRowProjection.Applies(zeros(2, 16, dtype: ScalarType.BFloat16), weight.to(ScalarType.BFloat16)));
        Assert.False(SingleRowProjection.Applies(zeros(1, 16).requires_grad_(), weight));
        Assert.False(SingleRowProjection.Applies(zeros(1, 16, dtype: ScalarType.BFloat16), weight));
        Assert.False(SingleRowProjection.Applies(zeros(1, 8), weight.t())); // a transposed view is not row-major
    }

    // Row counts reach every path: 2..4 (weights streamed once per row), 5..8 (one long group), 9..16 (a long group and a
    // rest); after full groups of 4 a rest of 1, 2 and 3 rows each runs its own tile width.
    public static TheoryData<int, int, int> ManyRowShapes => new()
    {
        { 2, 7, 45 },
        { 3, 97, 70 },
        { 4, 21, 100 },
        { 5, 33, 64 },
        { 6, 40, 50 },
        { 7, 19, 129 },
        { 8, 300, 1536 },
        { 9, 130, 96 },
        { 13, 65, 4096 },
        { 16, 129, 33 },
    };

    [Theory]
    [MemberData(nameof(ManyRowShapes))]
    public void Several_fp32_rows_match_libtorch_linear_up_to_summation_order(int rows, int outFeatures, int inFeatures)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(rows * 100000 + outFeatures * 1000 + inFeatures));
        var input = randn(rows, 1, inFeatures, generator: generator);
        var weight = randn(outFeatures, inFeatures, generator: generator);
        var bias = randn(outFeatures, generator: generator);

        var ours = SingleRowProjection.Multiply(input, weight, bias);
        var expected = nn.functional.linear(input, weight, bias);

        Assert.Equal(expected.shape, ours.shape);
        Assert.True(ours.allclose(expected, rtol: 1e-5, atol: 1e-6 * inFeatures), $"largest difference {(ours - expected).abs().max().item<float>()}");
    }

    [Theory]
    [MemberData(nameof(ManyRowShapes))]
    public void Several_bf16_rows_match_fp32_arithmetic_on_the_same_bf16_values_rounded_once(int rows, int outFeatures, int inFeatures)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(rows + outFeatures + inFeatures));
        var input = randn(1, rows, inFeatures, generator: generator).to(ScalarType.BFloat16);
        var weight = randn(outFeatures, inFeatures, generator: generator).to(ScalarType.BFloat16);

        var ours = SingleRowProjection.Multiply(input, weight, null);
        var exact = nn.functional.linear(input.to(ScalarType.Float32), weight.to(ScalarType.Float32));

        Assert.Equal(ScalarType.BFloat16, ours.dtype);
        Assert.Equal(exact.shape, ours.shape);
        var difference = (ours.to(ScalarType.Float32) - exact).abs();
        var halfUlp = exact.abs().Times(1.0 / 256).Plus(1e-6);
        Assert.True(difference.le(halfUlp).all().item<bool>(), $"largest difference {difference.max().item<float>()}");
        // libtorch's own bf16 linear rounds differently inside, but agrees to bf16 precision.
        var libtorch = nn.functional.linear(input, weight).to(ScalarType.Float32);
        Assert.True(ours.to(ScalarType.Float32).allclose(libtorch, rtol: 2e-2, atol: 2e-2 * Math.Sqrt(inFeatures)));
    }

    [Fact]
    public void The_native_bf16_kernel_is_loaded_where_it_can_be_built_and_run()
    {
        var canRun = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && (System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;
        var canBuild = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64
            && File.Exists("/usr/bin/gcc");
        Assert.SkipUnless(canRun && canBuild, "needs Linux x64 with gcc at build time and a CPU with AVX512_BF16");

        Assert.True(NativeBf16Rows.Available, "libtsuzumi_bf16.so should have been built and copied beside the test assembly");
    }

    [Theory]
    [MemberData(nameof(ManyRowShapes))]
    public void Several_bf16_rows_with_a_bias_match_libtorch_linear_to_bf16_precision(int rows, int outFeatures, int inFeatures)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(rows * 7 + outFeatures * 3 + inFeatures));
        var input = randn(rows, 1, inFeatures, generator: generator).to(ScalarType.BFloat16);
        var weight = randn(outFeatures, inFeatures, generator: generator).to(ScalarType.BFloat16);
        var bias = randn(outFeatures, generator: generator).to(ScalarType.BFloat16);

        var ours = SingleRowProjection.Multiply(input, weight, bias).to(ScalarType.Float32);
        var expected = nn.functional.linear(input, weight, bias).to(ScalarType.Float32);

        Assert.Equal(expected.shape, ours.shape);
        // This kernel rounds the product to bf16 before adding the bias, libtorch after: half a unit in the 8th bit
        // of the product (|W·x| ≲ 4√n here), plus the final rounding. A wrong or missing term is off by far more.
        var difference = (ours - expected).abs();
        var tolerance = expected.abs().Times(1.0 / 128).Plus(Math.Sqrt(inFeatures) / 32);
        Assert.True(difference.le(tolerance).all().item<bool>(), $"largest difference {difference.max().item<float>()}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(16)]
    public void Several_bf16_rows_through_concatenated_projections_match_libtorch_per_projection(int rows)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(500 + rows));
        var input = randn(rows, 1, 131, generator: generator).to(ScalarType.BFloat16); // 131 columns: four 32-blocks and a tail of 3
        Tensor[] weights = [randn(67, 131, generator: generator).to(ScalarType.BFloat16), randn(5, 131, generator: generator).to(ScalarType.BFloat16)];

        var together = SingleRowProjection.MultiplyConcatenated(input, weights).to(ScalarType.Float32);
        var exact = cat(weights.Select(weight => nn.functional.linear(input.to(ScalarType.Float32), weight.to(ScalarType.Float32))).ToArray(), -1);

        Assert.Equal(new long[] { rows, 1, 72 }, together.shape);
        var difference = (together - exact).abs();
        Assert.True(difference.le(exact.abs().Times(1.0 / 256).Plus(1e-6)).all().item<bool>(), $"largest difference {difference.max().item<float>()}");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void Several_rows_sharing_projections_come_out_concatenated_as_each_row_alone(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(12);
        var input = randn(11, 1, 96, generator: generator).to(dtype);
        Tensor[] weights = [randn(96, 96, generator: generator).to(dtype), randn(32, 96, generator: generator).to(dtype), randn(70, 96, generator: generator).to(dtype)];

        var together = SingleRowProjection.MultiplyConcatenated(input, weights);
        var rowByRow = cat(Enumerable.Range(0, 11).Select(row =>
            cat(weights.Select(weight => SingleRowProjection.Multiply(input[row..(row + 1)], weight, null)).ToArray(), -1)).ToArray(), 0);

        Assert.Equal(new long[] { 11, 1, 198 }, together.shape);
        var difference = (together.to(ScalarType.Float32) - rowByRow.to(ScalarType.Float32)).abs();
        // Same products, summed in a different order than the single-row kernel: fp32 rounding, or one bf16 step.
        var tolerance = dtype == ScalarType.Float32 ? rowByRow.abs().Times(1e-5).Plus(1e-4) : rowByRow.to(ScalarType.Float32).abs().Times(1.0 / 128).Plus(1e-3);
        Assert.True(difference.le(tolerance).all().item<bool>(), $"largest difference {difference.max().item<float>()}");
    }

    private static (Tensor Input, Tensor Weight) Random(int outFeatures, int inFeatures, ScalarType dtype, int seed)
    {
        var generator = new Generator((ulong)seed);
        return (randn(1, inFeatures, generator: generator).to(dtype), randn(outFeatures, inFeatures, generator: generator).to(dtype));
    }
}

/// <summary>
/// Switches <see cref="SingleRowProjection.Enabled"/>, which every model in the process reads: in a collection that runs
/// alone, so no test running beside it computes half a forward pass one way and half the other.
/// </summary>
[Collection(nameof(SingleRowProjectionSwitch))]
public sealed class SingleRowProjectionSwitchTests
{
    [Fact]
    public void A_decoded_token_gets_the_same_logits_with_the_kernel_and_with_libtorch()
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
        float[] Decode()
        {
            using var cache = model.CreateCache();
            model.Forward(tensor(new long[] { 1, 5, 9 }, new long[] { 1, 3 }), [cache]).Dispose();
            using var logits = model.Forward(tensor(new long[] { 7 }, new long[] { 1, 1 }), [cache]);
            return logits.reshape(-1).data<float>().ToArray();
        }

        var withKernel = Decode();
        SingleRowProjection.Enabled = false;
        float[] withLibtorch;
        try
        {
            withLibtorch = Decode();
        }
        finally
        {
            SingleRowProjection.Enabled = true;
        }

        Assert.Equal(withLibtorch.Length, withKernel.Length);
        Assert.All(withKernel.Zip(withLibtorch), pair => Assert.Equal(pair.Second, pair.First, 1e-4f));
    }
}

[CollectionDefinition(nameof(SingleRowProjectionSwitch), DisableParallelization = true)]
public sealed class SingleRowProjectionSwitch;
