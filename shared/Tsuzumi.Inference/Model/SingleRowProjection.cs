using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// y = W·x for one activation row, in C# SIMD over all cores. Decoding one token is a chain of such matrix-vector
/// products, each bound by how fast W streams from memory; libtorch's CPU kernels for one row stream bf16 at about
/// half the machine's read bandwidth (docs/benchmarks.md), so this path reads W with plain Vector512 loads
/// (bf16 widened to fp32 by a 16-bit shift) and accumulates in fp32, as libtorch does. Hand-written because no
/// library available to .NET offers a bf16 GEMV; it is the only hand-written kernel, and only for single rows.
/// </summary>
internal static unsafe class SingleRowProjection
{
    /// <summary>Rows per work item: big enough that scheduling is noise, small enough to balance two busy cores.</summary>
    private const int RowsPerChunk = 64;

    /// <summary>
    /// On unless <c>TSUZUMI_SINGLE_ROW_KERNEL=0</c>; the benchmark switches it to measure libtorch's kernel in the same run.
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("TSUZUMI_SINGLE_ROW_KERNEL") != "0";

    /// <summary>True when <paramref name="input"/> is one row this kernel can multiply with <paramref name="weight"/>.</summary>
    public static bool Applies(Tensor input, Tensor weight) =>
        input.device_type == DeviceType.CPU
        && weight.device_type == DeviceType.CPU
        && input.dtype == weight.dtype
        && weight.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && weight.dim() == 2
        && input.numel() == weight.shape[1]
        && weight.is_contiguous();

    /// <summary>[.., in] (one row) × weight [out, in] → [.., out] in the weight's dtype; bias [out] added when given.</summary>
    public static Tensor Multiply(Tensor input, Tensor weight, Tensor? bias)
    {
        var rows = (int)weight.shape[0];
        var columns = (int)weight.shape[1];
        var outputShape = input.shape.ToArray();
        outputShape[^1] = rows;
        using var row = input.contiguous();
        var output = empty(outputShape, dtype: weight.dtype);
        var x = new float[columns]; // the activation in fp32, read by every output row
        var y = (nint)TensorMemory.DataPointer(output);
        var w = (nint)TensorMemory.DataPointer(weight);
        if (weight.dtype == ScalarType.Float32)
        {
            new ReadOnlySpan<float>(TensorMemory.DataPointer(row), columns).CopyTo(x);
            ForEachChunk(rows, (start, count) => Float32Rows((float*)w, x, (float*)y, start, count, columns));
        }
        else
        {
            WidenBf16(new ReadOnlySpan<ushort>(TensorMemory.DataPointer(row), columns), x);
            ForEachChunk(rows, (start, count) => Bf16Rows((ushort*)w, x, (ushort*)y, start, count, columns));
        }
        if (bias is null) return output;
        using (output) return output + bias;
    }

    private static void ForEachChunk(int rows, Action<int, int> body)
    {
        var chunks = (rows + RowsPerChunk - 1) / RowsPerChunk;
        if (chunks == 1)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, chunks, chunk =>
        {
            var start = chunk * RowsPerChunk;
            body(start, Math.Min(RowsPerChunk, rows - start));
        });
    }

    /// <summary>y[r] = W[r,:]·x for r in [start, start+count); four rows at a time so each x load serves four rows.</summary>
    private static void Float32Rows(float* weights, float[] x, float* y, int start, int count, int columns)
    {
        fixed (float* xs = x)
        {
            var r = start;
            for (; r + 4 <= start + count; r += 4)
            {
                var w0 = weights + (long)r * columns;
                var w1 = w0 + columns;
                var w2 = w1 + columns;
                var w3 = w2 + columns;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var c = 0;
                for (; c + 16 <= columns; c += 16)
                {
                    var v = Vector512.Load(xs + c);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + c), v, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + c), v, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + c), v, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + c), v, a3);
                }
                float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
                for (; c < columns; c++)
                {
                    s0 += w0[c] * xs[c];
                    s1 += w1[c] * xs[c];
                    s2 += w2[c] * xs[c];
                    s3 += w3[c] * xs[c];
                }
                y[r] = s0;
                y[r + 1] = s1;
                y[r + 2] = s2;
                y[r + 3] = s3;
            }
            for (; r < start + count; r++)
            {
                var w0 = weights + (long)r * columns;
                Vector512<float> a0 = default;
                var c = 0;
                for (; c + 16 <= columns; c += 16) a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + c), Vector512.Load(xs + c), a0);
                var s0 = Vector512.Sum(a0);
                for (; c < columns; c++) s0 += w0[c] * xs[c];
                y[r] = s0;
            }
        }
    }

    /// <summary>As <see cref="Float32Rows"/> for bf16 weights: 32 weights per load, widened into two fp32 vectors.</summary>
    private static void Bf16Rows(ushort* weights, float[] x, ushort* y, int start, int count, int columns)
    {
        fixed (float* xs = x)
        {
            var r = start;
            for (; r + 4 <= start + count; r += 4)
            {
                var w0 = weights + (long)r * columns;
                var w1 = w0 + columns;
                var w2 = w1 + columns;
                var w3 = w2 + columns;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var c = 0;
                for (; c + 32 <= columns; c += 32)
                {
                    var low = Vector512.Load(xs + c);
                    var high = Vector512.Load(xs + c + 16);
                    a0 = Bf16Dot(Vector512.Load(w0 + c), low, high, a0);
                    a1 = Bf16Dot(Vector512.Load(w1 + c), low, high, a1);
                    a2 = Bf16Dot(Vector512.Load(w2 + c), low, high, a2);
                    a3 = Bf16Dot(Vector512.Load(w3 + c), low, high, a3);
                }
                float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
                for (; c < columns; c++)
                {
                    s0 += Bf16ToFloat(w0[c]) * xs[c];
                    s1 += Bf16ToFloat(w1[c]) * xs[c];
                    s2 += Bf16ToFloat(w2[c]) * xs[c];
                    s3 += Bf16ToFloat(w3[c]) * xs[c];
                }
                y[r] = FloatToBf16(s0);
                y[r + 1] = FloatToBf16(s1);
                y[r + 2] = FloatToBf16(s2);
                y[r + 3] = FloatToBf16(s3);
            }
            for (; r < start + count; r++)
            {
                var w0 = weights + (long)r * columns;
                Vector512<float> a0 = default;
                var c = 0;
                for (; c + 32 <= columns; c += 32) a0 = Bf16Dot(Vector512.Load(w0 + c), Vector512.Load(xs + c), Vector512.Load(xs + c + 16), a0);
                var s0 = Vector512.Sum(a0);
                for (; c < columns; c++) s0 += Bf16ToFloat(w0[c]) * xs[c];
                y[r] = FloatToBf16(s0);
            }
        }
    }

    /// <summary>accumulator + w[0..32]·x[0..32]: a bf16 is the top half of an fp32, so widening is a shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bf16Dot(Vector512<ushort> weights, Vector512<float> low, Vector512<float> high, Vector512<float> accumulator)
    {
        var (first, second) = Vector512.Widen(weights);
        accumulator = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(first, 16).AsSingle(), low, accumulator);
        return Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(second, 16).AsSingle(), high, accumulator);
    }

    private static void WidenBf16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] = Bf16ToFloat(source[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bf16ToFloat(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Round to nearest even, as libtorch rounds fp32 to bf16 (NaN kept quiet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort FloatToBf16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        bits += 0x7FFF + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }
}
