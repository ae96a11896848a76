using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// float32 → GGML storage types, so tests and the writer can produce real quantised files. Q8_0 and Q4_0 follow ggml's
/// <c>quantize_row_*_ref</c> exactly; Q4_K and Q6_K use a plain min/max scale search (valid blocks that any GGML reader
/// decodes, though not bit-identical to ggml's iterative search). Hand-written: no .NET library offers these.
/// </summary>
public static class GgufQuantizer
{
    private const int QK = 32;
    private const int QK_K = 256;

    public static bool Supports(GgufTensorType type) => GgufDequantizer.Supports(type);

    /// <summary>Encodes <paramref name="values"/>, whose length must be a whole number of the type's blocks.</summary>
    public static byte[] Quantize(GgufTensorType type, ReadOnlySpan<float> values)
    {
        if (!Supports(type)) throw new NotSupportedException($"GGML type {type} cannot be quantised here");
        var bytes = new byte[GgufTensorTypes.ByteCount(type, values.Length)];
        switch (type)
        {
            case GgufTensorType.F32: MemoryMarshal.AsBytes(values).CopyTo(bytes); break;
            case GgufTensorType.F16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToHalfBits(values[i]));
                break;
            case GgufTensorType.BF16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16Bits(values[i]));
                break;
            case GgufTensorType.Q8_0: ToQ8_0(values, bytes); break;
            case GgufTensorType.Q4_0: ToQ4_0(values, bytes); break;
            case GgufTensorType.Q4_K: ToQ4_K(values, bytes); break;
            case GgufTensorType.Q6_K: ToQ6_K(values, bytes); break;
        }
        return bytes;
    }

    /// <summary>Round-to-nearest-even, as ggml's GGML_FP32_TO_FP16.</summary>
    internal static ushort ToHalfBits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>ggml's ggml_compute_fp32_to_bf16: round to nearest even on the dropped 16 bits, NaNs kept quiet.</summary>
    internal static ushort ToBFloat16Bits(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return (ushort)((bits >> 16) | 64);
        return (ushort)((bits + (0x7fff + ((bits >> 16) & 1))) >> 16);
    }

    /// <summary>quantize_row_q8_0_ref: d = max|x| / 127, q = round(x / d).</summary>
    private static void ToQ8_0(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        for (int input = 0, block = 0; input < values.Length; input += QK, block += 34)
        {
            var x = values.Slice(input, QK);
            var amax = 0f;
            foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
            var d = amax / 127;
            var id = d != 0 ? 1 / d : 0;
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(block, 2), ToHalfBits(d));
            for (var j = 0; j < QK; j++) bytes[block + 2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>quantize_row_q4_0_ref: d = (the value of largest magnitude) / −8, q = min(15, trunc(x / d + 8.5)).</summary>
    private static void ToQ4_0(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        for (int input = 0, block = 0; input < values.Length; input += QK, block += 18)
        {
            var x = values.Slice(input, QK);
            float amax = 0, max = 0;
            foreach (var v in x)
            {
                if (amax < MathF.Abs(v)) (amax, max) = (MathF.Abs(v), v);
            }
            var d = max / -8;
            var id = d != 0 ? 1 / d : 0;
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(block, 2), ToHalfBits(d));
            for (var j = 0; j < QK / 2; j++)
            {
                var low = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
                var high = Math.Min(15, (int)(sbyte)(x[j + QK / 2] * id + 8.5f));
                bytes[block + 2 + j] = (byte)(low | (high << 4));
            }
        }
    }

    /// <summary>Per 32 values: scale = (max − min) / 15 and offset = −min (min ≤ 0); both re-quantised to 6 bits against fp16 super-scales.</summary>
    private static void ToQ4_K(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        Span<float> subScales = stackalloc float[8];
        Span<float> subMins = stackalloc float[8];
        Span<int> scaleCodes = stackalloc int[8];
        Span<int> minCodes = stackalloc int[8];
        for (int input = 0, block = 0; input < values.Length; input += QK_K, block += 144)
        {
            var x = values.Slice(input, QK_K);
            for (var s = 0; s < 8; s++)
            {
                var sub = x.Slice(32 * s, 32);
                float lo = 0, hi = 0;
                foreach (var v in sub) (lo, hi) = (MathF.Min(lo, v), MathF.Max(hi, v));
                subScales[s] = (hi - lo) / 15;
                subMins[s] = -lo;
            }
            var d = HalfRounded(Max(subScales) / 63);
            var dmin = HalfRounded(Max(subMins) / 63);
            for (var s = 0; s < 8; s++)
            {
                scaleCodes[s] = d > 0 ? Math.Clamp((int)MathF.Ceiling(subScales[s] / d), 0, 63) : 0;
                minCodes[s] = dmin > 0 ? Math.Clamp((int)MathF.Ceiling(subMins[s] / dmin), 0, 63) : 0;
            }

            var block144 = bytes.Slice(block, 144);
            BinaryPrimitives.WriteUInt16LittleEndian(block144, ToHalfBits(d));
            BinaryPrimitives.WriteUInt16LittleEndian(block144[2..], ToHalfBits(dmin));
            var scales = block144.Slice(4, 12);
            for (var s = 0; s < 8; s++)
            {
                // The inverse of GgufDequantizer.ScaleAndMinK4.
                if (s < 4)
                {
                    scales[s] = (byte)scaleCodes[s];
                    scales[s + 4] = (byte)minCodes[s];
                }
                else
                {
                    scales[s + 4] = (byte)((scaleCodes[s] & 0x0F) | ((minCodes[s] & 0x0F) << 4));
                    scales[s - 4] |= (byte)((scaleCodes[s] >> 4) << 6);
                    scales[s] |= (byte)((minCodes[s] >> 4) << 6);
                }
            }
            var quants = block144.Slice(16, QK_K / 2);
            for (var s = 0; s < 8; s++)
            {
                var step = d * scaleCodes[s];
                var offset = dmin * minCodes[s];
                for (var l = 0; l < 32; l++)
                {
                    var q = step > 0 ? Math.Clamp((int)MathF.Round((x[32 * s + l] + offset) / step), 0, 15) : 0;
                    // Sub-blocks pair up per 64 values: even ones in the low nibbles, odd ones in the high nibbles.
                    quants[32 * (s / 2) + l] |= (byte)(s % 2 == 0 ? q : q << 4);
                }
            }
        }
    }

    /// <summary>Per 16 values: scale = max|x| / 31, re-quantised to int8 against one fp16 super-scale; q in −32..31.</summary>
    private static void ToQ6_K(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        Span<float> subScales = stackalloc float[16];
        Span<int> codes = stackalloc int[QK_K];
        for (int input = 0, block = 0; input < values.Length; input += QK_K, block += 210)
        {
            var x = values.Slice(input, QK_K);
            for (var s = 0; s < 16; s++)
            {
                var amax = 0f;
                foreach (var v in x.Slice(16 * s, 16)) amax = MathF.Max(amax, MathF.Abs(v));
                subScales[s] = amax / 31;
            }
            var d = HalfRounded(Max(subScales) / 127);
            var block210 = bytes.Slice(block, 210);
            var low = block210[..128];
            var high = block210.Slice(128, 64);
            var scales = MemoryMarshal.Cast<byte, sbyte>(block210.Slice(192, 16));
            for (var s = 0; s < 16; s++)
            {
                var code = d > 0 ? Math.Clamp((int)MathF.Ceiling(subScales[s] / d), 0, 127) : 0;
                scales[s] = (sbyte)code;
                var step = d * code;
                for (var l = 0; l < 16; l++)
                {
                    var q = step > 0 ? Math.Clamp((int)MathF.Round(x[16 * s + l] / step), -32, 31) : 0;
                    codes[16 * s + l] = q + 32;
                }
            }
            // The inverse of GgufDequantizer.FromQ6_K's bit layout.
            for (int n = 0, ql = 0, qh = 0; n < QK_K; n += 128, ql += 64, qh += 32)
            {
                for (var l = 0; l < 32; l++)
                {
                    int q1 = codes[n + l], q2 = codes[n + l + 32], q3 = codes[n + l + 64], q4 = codes[n + l + 96];
                    low[ql + l] = (byte)((q1 & 0x0F) | ((q3 & 0x0F) << 4));
                    low[ql + l + 32] = (byte)((q2 & 0x0F) | ((q4 & 0x0F) << 4));
                    high[qh + l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
            BinaryPrimitives.WriteUInt16LittleEndian(block210[208..], ToHalfBits(d));
        }
    }

    private static float HalfRounded(float value) => (float)(Half)value;

    private static float Max(ReadOnlySpan<float> values)
    {
        var max = 0f;
        foreach (var v in values) max = MathF.Max(max, v);
        return max;
    }
}
