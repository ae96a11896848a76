using Tsuzumi.Inference.Formats.Gguf;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

public sealed class GgufDequantizerTests
{
    [Fact]
    public void A_hand_built_Q8_0_block_decodes_to_d_times_q()
    {
        var block = new byte[34];
        block[0] = 0x00; block[1] = 0x34; // fp16 0x3400 = 0.25
        block[2] = 0x80;                  // q[0] = −128
        block[3] = 4;                     // q[1] = 4
        block[33] = 127;                  // q[31]

        var values = new float[32];
        GgufDequantizer.Dequantize(GgufTensorType.Q8_0, block, values);

        Assert.Equal(-32f, values[0]);
        Assert.Equal(1f, values[1]);
        Assert.Equal(31.75f, values[31]);
        Assert.Equal(0f, values[2]);
    }

    [Fact]
    public void A_hand_built_Q4_0_block_puts_low_nibbles_first_and_high_nibbles_sixteen_later()
    {
        var block = new byte[18];
        block[0] = 0x00; block[1] = 0x38; // d = 0.5
        for (var j = 2; j < 18; j++) block[j] = 0x88; // q = 8 → 0
        block[2] = 0x2F;                  // element 0: 15 − 8 = 7; element 16: 2 − 8 = −6

        var values = new float[32];
        GgufDequantizer.Dequantize(GgufTensorType.Q4_0, block, values);

        Assert.Equal(3.5f, values[0]);
        Assert.Equal(-3f, values[16]);
        Assert.Equal(0f, values[1]);
        Assert.Equal(0f, values[31]);
    }

    [Fact]
    public void A_hand_built_Q4_K_block_applies_six_bit_scales_and_mins()
    {
        var block = new byte[144];
        block[0] = 0x00; block[1] = 0x3C; // d = 1
        block[2] = 0x00; block[3] = 0x38; // dmin = 0.5
        var scales = block.AsSpan(4, 12);
        scales[0] = 2;    // pair 0: scale 2
        scales[4] = 4;    //         min 4
        scales[9] = 0x31; // pair 5: scale low bits 1, min low bits 3
        scales[1] = 0x40; //         scale high bits 01 → 17
        scales[5] = 0x80; //         min high bits 10 → 35
        var quants = block.AsSpan(16);
        quants[0] = 0x03;  // element 0 (pair 0): 3
        quants[64] = 0x70; // element 160 (pair 5, high nibble): 7

        var values = new float[256];
        GgufDequantizer.Dequantize(GgufTensorType.Q4_K, block, values);

        Assert.Equal(1 * 2 * 3 - 0.5f * 4, values[0]);      // 4
        Assert.Equal(-2f, values[1]);                         // q = 0: −dmin·min
        Assert.Equal(1 * 17 * 7 - 0.5f * 35, values[160]);   // 101.5
        Assert.Equal(0f, values[128]);                        // pair 4: scale 0, min 0
    }

    [Fact]
    public void A_hand_built_Q6_K_block_combines_low_nibbles_high_bits_and_signed_scales()
    {
        var block = new byte[210];
        var low = block.AsSpan(0, 128);
        var high = block.AsSpan(128, 64);
        var scales = block.AsSpan(192, 16);
        block[208] = 0x00; block[209] = 0x40; // d = 2
        low[0] = 0x05; high[0] = 0b10;  // element 0: 5 | 2<<4 = 37 → 5
        scales[0] = 3;
        scales[4] = unchecked((byte)-1); // element 64: q = 0 − 32 with scale −1
        low[72] = 0xF0; high[40] = 0b0011_0000; // element 200 = 128 + 64 + 8: 15 | 3<<4 = 63 → 31
        scales[12] = 127;

        var values = new float[256];
        GgufDequantizer.Dequantize(GgufTensorType.Q6_K, block, values);

        Assert.Equal(2f * 3 * 5, values[0]);
        Assert.Equal(2f * 3 * -32, values[1]);
        Assert.Equal(2f * -1 * -32, values[64]);
        Assert.Equal(2f * 127 * 31, values[200]);
    }

    [Fact]
    public void F16_and_BF16_decode_exactly()
    {
        ushort[] halfBits = [0x3C00, 0xC000, 0x7BFF, 0x0001];       // 1, −2, 65504, smallest subnormal
        ushort[] bfloatBits = [0x3F80, 0xC040, 0x4049, 0x0000];     // 1, −3, 3.140625, 0
        var halves = new float[4];
        var bfloats = new float[4];

        GgufDequantizer.Dequantize(GgufTensorType.F16, System.Runtime.InteropServices.MemoryMarshal.AsBytes(halfBits.AsSpan()), halves);
        GgufDequantizer.Dequantize(GgufTensorType.BF16, System.Runtime.InteropServices.MemoryMarshal.AsBytes(bfloatBits.AsSpan()), bfloats);

        Assert.Equal([1f, -2f, 65504f, MathF.Pow(2, -24)], halves);
        Assert.Equal([1f, -3f, 3.140625f, 0f], bfloats);
    }

    [Theory]
    [InlineData(GgufTensorType.F16, 0.001)]
    [InlineData(GgufTensorType.BF16, 0.008)]
    [InlineData(GgufTensorType.Q8_0, 0.5 / 127 + 1.0 / 1024)] // plus fp16 rounding of d
    [InlineData(GgufTensorType.Q4_0, 1.0 / 8 + 0.01)]          // −8d..7d: the far end of a positive maximum clips by d
    [InlineData(GgufTensorType.Q6_K, 0.5 / 31 + 0.02)]
    [InlineData(GgufTensorType.Q4_K, 0.5 / 15 + 0.05)]
    public void Quantising_then_dequantising_stays_within_the_types_step(GgufTensorType type, double relativeBound)
    {
        var random = new Random(20261130);
        var values = new float[4 * 256];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % 7);

        var decoded = new float[values.Length];
        GgufDequantizer.Dequantize(type, GgufQuantizer.Quantize(type, values), decoded);

        // The bound is per block, relative to the block's largest magnitude (the scale each format derives).
        var blockSize = Math.Max(32, GgufTensorTypes.BlockSize(type));
        for (var start = 0; start < values.Length; start += blockSize)
        {
            var blockMax = values.AsSpan(start, blockSize).ToArray().Max(MathF.Abs);
            for (var i = start; i < start + blockSize; i++)
                Assert.True(Math.Abs(values[i] - decoded[i]) <= relativeBound * blockMax, $"{type} element {i}: {values[i]} → {decoded[i]}");
        }
        Assert.NotEqual(values, decoded);
    }

    [Fact]
    public void Q8_0_quantisation_matches_ggml_reference_rounding()
    {
        var values = new float[32];
        values[0] = 127f;   // d = 1
        values[1] = 2.5f;   // ties round away from zero: 3
        values[2] = -2.5f;  // −3
        values[3] = 0.49f;  // 0

        var block = GgufQuantizer.Quantize(GgufTensorType.Q8_0, values);

        Assert.Equal([0x00, 0x3C], block[..2]);
        Assert.Equal([127, 3, unchecked((byte)-3), 0], block[2..6]);
    }

    [Fact]
    public void Q4_0_quantisation_maps_the_largest_magnitude_to_minus_eight()
    {
        var values = new float[32];
        values[0] = -4f;  // d = −4 / −8 = 0.5 → q = −8 → nibble 0
        values[1] = 3.5f; // 7 → nibble 15
        values[16] = 1f;  // 2 → nibble 10

        var block = GgufQuantizer.Quantize(GgufTensorType.Q4_0, values);
        var decoded = new float[32];
        GgufDequantizer.Dequantize(GgufTensorType.Q4_0, block, decoded);

        Assert.Equal([0x00, 0x38], block[..2]);
        Assert.Equal(0xA0, block[2]);
        Assert.Equal(0x8F, block[3]);
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void A_source_of_the_wrong_length_is_a_caller_error()
    {
        Assert.Throws<ArgumentException>(() => GgufDequantizer.Dequantize(GgufTensorType.Q8_0, new byte[33], new float[32]));
    }
}
