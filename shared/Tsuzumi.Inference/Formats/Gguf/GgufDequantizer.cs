using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// GGML storage types → float32, following ggml's reference <c>dequantize_row_*</c> (ggml-quants.c) value for value.
/// Hand-written: no maintained .NET library decodes GGML block formats.
/// </summary>
public static class GgufDequantizer
{
    private const int QK = 32;     // elements per Q4_0 / Q8_0 block
    private const int QK_K = 256;  // elements per K-quant super-block

    public static bool Supports(GgufTensorType type) => type is GgufTensorType.F32 or GgufTensorType.F16 or GgufTensorType.BF16
        or GgufTensorType.Q8_0 or GgufTensorType.Q4_0 or GgufTensorType.Q4_K or GgufTensorType.Q6_K;

    /// <summary>Decodes whole blocks: <paramref name="source"/> must be exactly the bytes of <paramref name="destination"/>.Length elements.</summary>
    public static void Dequantize(GgufTensorType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (!Supports(type)) throw new NotSupportedException($"GGML type {type} cannot be dequantised");
        var expectedBytes = GgufTensorTypes.ByteCount(type, destination.Length);
        if (source.Length != expectedBytes)
            throw new ArgumentException($"{destination.Length} {type} elements take {expectedBytes} bytes, got {source.Length}");

        switch (type)
        {
            case GgufTensorType.F32: MemoryMarshal.Cast<byte, float>(source).CopyTo(destination); break;
            case GgufTensorType.F16: FromF16(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case GgufTensorType.BF16: FromBF16(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case GgufTensorType.Q8_0: FromQ8_0(source, destination); break;
            case GgufTensorType.Q4_0: FromQ4_0(source, destination); break;
            case GgufTensorType.Q4_K: FromQ4_K(source, destination); break;
            case GgufTensorType.Q6_K: FromQ6_K(source, destination); break;
        }
    }

    internal static float HalfToSingle(ReadOnlySpan<byte> twoBytes) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(twoBytes));

    private static void FromF16(ReadOnlySpan<ushort> halves, Span<float> destination)
    {
        for (var i = 0; i < halves.Length; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf(halves[i]);
    }

    /// <summary>bfloat16 is the top half of a float32, so widening is a shift.</summary>
    private static void FromBF16(ReadOnlySpan<ushort> bits, Span<float> destination)
    {
        for (var i = 0; i < bits.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
    }

    /// <summary>block_q8_0 (34 bytes): fp16 d, int8 qs[32]; x = d·q.</summary>
    private static void FromQ8_0(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int block = 0, output = 0; output < destination.Length; block += 34, output += QK)
        {
            var d = HalfToSingle(source.Slice(block, 2));
            var quants = MemoryMarshal.Cast<byte, sbyte>(source.Slice(block + 2, QK));
            var y = destination.Slice(output, QK);
            for (var j = 0; j < QK; j++) y[j] = quants[j] * d;
        }
    }

    /// <summary>block_q4_0 (18 bytes): fp16 d, 16 bytes of nibbles; low nibbles are elements 0..15, high nibbles 16..31; x = d·(q − 8).</summary>
    private static void FromQ4_0(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int block = 0, output = 0; output < destination.Length; block += 18, output += QK)
        {
            var d = HalfToSingle(source.Slice(block, 2));
            var nibbles = source.Slice(block + 2, QK / 2);
            var y = destination.Slice(output, QK);
            for (var j = 0; j < QK / 2; j++)
            {
                y[j] = ((nibbles[j] & 0x0F) - 8) * d;
                y[j + QK / 2] = ((nibbles[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>
    /// block_q4_K (144 bytes): fp16 d, fp16 dmin, 12 bytes of eight 6-bit (scale, min) pairs, 128 bytes of nibbles.
    /// Each 64 elements use two pairs: the low nibbles of 32 bytes with one, their high nibbles with the next; x = d·sc·q − dmin·m.
    /// </summary>
    private static void FromQ4_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int block = 0, output = 0; output < destination.Length; block += 144, output += QK_K)
        {
            var d = HalfToSingle(source.Slice(block, 2));
            var min = HalfToSingle(source.Slice(block + 2, 2));
            var scales = source.Slice(block + 4, 12);
            var quants = source.Slice(block + 16, QK_K / 2);
            var y = destination.Slice(output, QK_K);
            for (int j = 0, pair = 0, q = 0, o = 0; j < QK_K; j += 64, pair += 2, q += 32)
            {
                ScaleAndMinK4(pair, scales, out var scale1, out var min1);
                ScaleAndMinK4(pair + 1, scales, out var scale2, out var min2);
                float d1 = d * scale1, m1 = min * min1, d2 = d * scale2, m2 = min * min2;
                for (var l = 0; l < 32; l++) y[o++] = d1 * (quants[q + l] & 0x0F) - m1;
                for (var l = 0; l < 32; l++) y[o++] = d2 * (quants[q + l] >> 4) - m2;
            }
        }
    }

    /// <summary>ggml's get_scale_min_k4: pairs 0–3 sit in the low 6 bits of bytes 0–7; pairs 4–7 split across bytes 8–11 and the top 2 bits of bytes 0–7.</summary>
    internal static void ScaleAndMinK4(int index, ReadOnlySpan<byte> scales, out int scale, out int min)
    {
        if (index < 4)
        {
            scale = scales[index] & 63;
            min = scales[index + 4] & 63;
        }
        else
        {
            scale = (scales[index + 4] & 0x0F) | ((scales[index - 4] >> 6) << 4);
            min = (scales[index + 4] >> 4) | ((scales[index] >> 6) << 4);
        }
    }

    /// <summary>
    /// block_q6_K (210 bytes): 128 bytes low nibbles (ql), 64 bytes 2-bit highs (qh), 16 int8 scales, fp16 d.
    /// Each 128 elements use 64 ql, 32 qh and 8 scales; x = d·scale·(q − 32).
    /// </summary>
    private static void FromQ6_K(ReadOnlySpan<byte> source, Span<float> destination)
    {
        for (int block = 0, output = 0; output < destination.Length; block += 210, output += QK_K)
        {
            var low = source.Slice(block, 128);
            var high = source.Slice(block + 128, 64);
            var scales = MemoryMarshal.Cast<byte, sbyte>(source.Slice(block + 192, 16));
            var d = HalfToSingle(source.Slice(block + 208, 2));
            var y = destination.Slice(output, QK_K);
            for (int n = 0, ql = 0, qh = 0, sc = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8)
            {
                for (var l = 0; l < 32; l++)
                {
                    var scaleIndex = sc + l / 16;
                    var h = high[qh + l];
                    var q1 = ((low[ql + l] & 0x0F) | ((h & 3) << 4)) - 32;
                    var q2 = ((low[ql + l + 32] & 0x0F) | (((h >> 2) & 3) << 4)) - 32;
                    var q3 = ((low[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    var q4 = ((low[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    y[n + l] = d * scales[scaleIndex] * q1;
                    y[n + l + 32] = d * scales[scaleIndex + 2] * q2;
                    y[n + l + 64] = d * scales[scaleIndex + 4] * q3;
                    y[n + l + 96] = d * scales[scaleIndex + 6] * q4;
                }
            }
        }
    }
}
