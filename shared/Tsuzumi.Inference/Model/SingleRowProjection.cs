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

    /// <summary>Below this many weights (1 MiB of fp32) waking a second core costs more than the work: one thread does it all.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <summary>
    /// On unless <c>TSUZUMI_SINGLE_ROW_KERNEL=0</c>; the benchmark switches it to measure libtorch's kernel in the same run.
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("TSUZUMI_SINGLE_ROW_KERNEL") != "0";

    /// <summary>True when <paramref name="input"/> is one row this kernel can multiply with <paramref name="weight"/>.</summary>
    public static bool Applies(Tensor input, Tensor weight) =>
        // The kernel has no backward: anything autograd must see goes through libtorch.
        !(is_grad_enabled() && (input.requires_grad || weight.requires_grad))
        && input.device_type == DeviceType.CPU
        && weight.device_type == DeviceType.CPU
        && input.dtype == weight.dtype
        && weight.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && weight.dim() == 2
        && input.numel() == weight.shape[1]
        && weight.is_contiguous();

    /// <summary>As <see cref="Applies(Tensor, Tensor)"/> for several weights that share the input.</summary>
    public static bool Applies(Tensor input, IReadOnlyList<Tensor> weights) =>
        weights.All(weight => Applies(input, weight));

    /// <summary>[.., in] (one row) × weight [out, in] → [.., out] in the weight's dtype; bias [out] added when given.</summary>
    public static Tensor Multiply(Tensor input, Tensor weight, Tensor? bias)
    {
        var output = MultiplyConcatenated(input, [weight]);
        if (bias is null) return output;
        using (output) return output + bias;
    }

    /// <summary>
    /// One row against several weights [out_i, in] sharing the input — q/k/v, or gate/up — in one parallel pass:
    /// → [.., Σ out_i], each weight's rows after the previous one's. One pass instead of several halves the number of
    /// times the cores are woken per layer.
    /// </summary>
    public static Tensor MultiplyConcatenated(Tensor input, IReadOnlyList<Tensor> weights)
    {
        var columns = (int)weights[0].shape[1];
        var starts = new int[weights.Count + 1]; // output offset of each weight's first row
        for (var i = 0; i < weights.Count; i++) starts[i + 1] = starts[i] + (int)weights[i].shape[0];
        var outputShape = input.shape.ToArray();
        outputShape[^1] = starts[^1];
        using var row = input.contiguous();
        var dtype = weights[0].dtype;
        var output = empty(outputShape, dtype: dtype);
        // The activation in fp32, read by every output row; for bf16 weights its even elements, then its odd ones.
        var x = new float[columns];
        if (dtype == ScalarType.Float32) new ReadOnlySpan<float>(TensorMemory.DataPointer(row), columns).CopyTo(x);
        else DeinterleaveBf16(new ReadOnlySpan<ushort>(TensorMemory.DataPointer(row), columns), x);
        var y = (nint)TensorMemory.DataPointer(output);
        var bases = weights.Select(weight => (nint)TensorMemory.DataPointer(weight)).ToArray();

        // Work items are chunks of rows that never straddle two weights.
        var chunks = new List<(int Weight, int Start, int Count)>();
        for (var i = 0; i < weights.Count; i++)
        {
            var rows = starts[i + 1] - starts[i];
            for (var start = 0; start < rows; start += RowsPerChunk) chunks.Add((i, start, Math.Min(RowsPerChunk, rows - start)));
        }
        void Run(int chunk)
        {
            var (weight, start, count) = chunks[chunk];
            if (dtype == ScalarType.Float32)
                Float32Rows((float*)bases[weight] + (long)start * columns, x, (float*)y + starts[weight] + start, count, columns);
            else
                Bf16Rows((ushort*)bases[weight] + (long)start * columns, x, (ushort*)y + starts[weight] + start, count, columns);
        }
        if ((long)starts[^1] * columns < ParallelThreshold)
        {
            for (var chunk = 0; chunk < chunks.Count; chunk++) Run(chunk);
        }
        else
        {
            Parallel.For(0, chunks.Count, Run);
        }
        return output;
    }

    /// <summary>
    /// y[r] = W[r,:]·x for r in [0, count). Rows are taken one after another, so the weights stream through memory in
    /// one sequential run (the hardware prefetcher's best case; interleaving several rows measured ~2× slower on 3 KB
    /// rows). Four accumulators keep four FMAs in flight; x stays in L1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float32Rows(float* weights, float[] x, float* y, int count, int columns)
    {
        fixed (float* xs = x)
        {
            for (var r = 0; r < count; r++)
            {
                var w = weights + (long)r * columns;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var c = 0;
                for (; c + 64 <= columns; c += 64)
                {
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + c), Vector512.Load(xs + c), a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + c + 16), Vector512.Load(xs + c + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + c + 32), Vector512.Load(xs + c + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + c + 48), Vector512.Load(xs + c + 48), a3);
                }
                for (; c + 16 <= columns; c += 16) a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + c), Vector512.Load(xs + c), a0);
                var sum = Vector512.Sum((a0 + a1) + (a2 + a3));
                for (; c < columns; c++) sum += w[c] * xs[c];
                y[r] = sum;
            }
        }
    }

    /// <summary>
    /// As <see cref="Float32Rows"/> for bf16 weights. 32 weights load as 16 uint lanes, each holding an even element
    /// (low half) and the next odd one (high half); a bf16 is the top half of an fp32, so <c>lane &lt;&lt; 16</c> and
    /// <c>lane &amp; 0xFFFF0000</c> are the two as fp32 — no cross-lane widening. <paramref name="x"/> arrives split to
    /// match: its even elements in the first half of each 32-block's pair of vectors (see <see cref="DeinterleaveBf16"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bf16Rows(ushort* weights, float[] x, ushort* y, int count, int columns)
    {
        var high = Vector512.Create(0xFFFF0000u);
        var vectorColumns = columns & ~31;
        fixed (float* xs = x)
        {
            for (var r = 0; r < count; r++)
            {
                var w = weights + (long)r * columns;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                var c = 0;
                for (; c + 64 <= vectorColumns; c += 64)
                {
                    var lanes = Vector512.Load((uint*)(w + c));
                    a0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(lanes, 16).AsSingle(), Vector512.Load(xs + c), a0);
                    a1 = Vector512.FusedMultiplyAdd((lanes & high).AsSingle(), Vector512.Load(xs + c + 16), a1);
                    lanes = Vector512.Load((uint*)(w + c + 32));
                    a2 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(lanes, 16).AsSingle(), Vector512.Load(xs + c + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd((lanes & high).AsSingle(), Vector512.Load(xs + c + 48), a3);
                }
                for (; c < vectorColumns; c += 32)
                {
                    var lanes = Vector512.Load((uint*)(w + c));
                    a0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(lanes, 16).AsSingle(), Vector512.Load(xs + c), a0);
                    a1 = Vector512.FusedMultiplyAdd((lanes & high).AsSingle(), Vector512.Load(xs + c + 16), a1);
                }
                var sum = Vector512.Sum((a0 + a1) + (a2 + a3));
                for (; c < columns; c++) sum += Bf16ToFloat(w[c]) * xs[c];
                y[r] = FloatToBf16(sum);
            }
        }
    }

    /// <summary>
    /// bf16 activations → fp32, each block of 32 reordered as its 16 even elements then its 16 odd ones (the order
    /// <see cref="Bf16Rows"/> reads weights in); a tail shorter than 32 stays in order.
    /// </summary>
    private static void DeinterleaveBf16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var vectorColumns = source.Length & ~31;
        for (var block = 0; block < vectorColumns; block += 32)
        {
            for (var j = 0; j < 16; j++)
            {
                destination[block + j] = Bf16ToFloat(source[block + 2 * j]);
                destination[block + 16 + j] = Bf16ToFloat(source[block + 2 * j + 1]);
            }
        }
        for (var i = vectorColumns; i < source.Length; i++) destination[i] = Bf16ToFloat(source[i]);
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
