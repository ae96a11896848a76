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
/// library available to .NET offers a bf16 GEMV; it is for single rows — plus a few rows at once (a batch of decode
/// steps), each weight row streamed once for all of them: fp32 here, bf16 in the native <see cref="NativeBf16Rows"/>.
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

    /// <summary>
    /// Most fp32 activation rows taken here. Each weight row is read from memory once, in tiles of 4 weight rows × 4
    /// input rows, so up to this many rows cost little more than one row's memory traffic: `bench kernel --rows N`
    /// measured 1.3–3× libtorch's fp32 linear for 2–16 rows. Several bf16 rows go to <see cref="NativeBf16Rows"/>
    /// (AVX512-BF16 dot products, which .NET 10 does not expose) where it is available, else to libtorch: the C#
    /// tiles below, widening bf16 to fp32 at twice the FMAs, measured 0.5–0.9× libtorch's bf16 GEMM.
    /// </summary>
    internal const int MaxRows = 16;

    /// <summary>
    /// Most rows <see cref="Applies(Tensor, Tensor)"/> accepts (fp32, or bf16 with the native kernel): <see cref="MaxRows"/> unless <c>TSUZUMI_KERNEL_ROWS</c>
    /// sets fewer (1 restores the single-row kernel alone); benchmarks set it to compare with libtorch in one build.
    /// </summary>
    internal static int RowLimit { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("TSUZUMI_KERNEL_ROWS"), out var rows) ? Math.Clamp(rows, 1, MaxRows) : MaxRows;

    /// <summary>True when <paramref name="input"/> is rows this kernel (1..<see cref="RowLimit"/> rows; bf16 beyond one row only with <see cref="NativeBf16Rows"/>) can multiply with <paramref name="weight"/>.</summary>
    public static bool Applies(Tensor input, Tensor weight) =>
        // The kernel has no backward: anything autograd must see goes through libtorch.
        !(is_grad_enabled() && (input.requires_grad || weight.requires_grad))
        && input.device_type == DeviceType.CPU
        && weight.device_type == DeviceType.CPU
        && input.dtype == weight.dtype
        && weight.dtype is ScalarType.Float32 or ScalarType.BFloat16
        && weight.dim() == 2
        && input.dim() >= 1
        && input.shape[^1] == weight.shape[1]
        && input.numel() > 0
        && input.numel() <= MostRows(weight.dtype) * weight.shape[1]
        && weight.is_contiguous();

    /// <summary>True when a decode step of <paramref name="rows"/> rows of a model in <paramref name="dtype"/> runs its projections here.</summary>
    public static bool TakesRows(ScalarType dtype, int rows) => Enabled && rows >= 1 && rows <= MostRows(dtype);

    /// <summary>Rows of <paramref name="dtype"/> taken here at once: bf16 beyond one row only through the native kernel.</summary>
    private static int MostRows(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => RowLimit,
        ScalarType.BFloat16 => NativeBf16Rows.Available ? RowLimit : 1,
        _ => 0,
    };

    /// <summary>As <see cref="Applies(Tensor, Tensor)"/> for several weights that share the input.</summary>
    public static bool Applies(Tensor input, IReadOnlyList<Tensor> weights) =>
        weights.All(weight => Applies(input, weight));

    /// <summary>[.., in] (1..<see cref="MaxRows"/> rows) × weight [out, in] → [.., out] in the weight's dtype; bias [out] added when given.</summary>
    public static Tensor Multiply(Tensor input, Tensor weight, Tensor? bias)
    {
        var output = MultiplyConcatenated(input, [weight]);
        if (bias is null) return output;
        using (output) return output.Plus(bias);
    }

    /// <summary>
    /// 1..<see cref="MaxRows"/> rows against several weights [out_i, in] sharing the input — q/k/v, or gate/up — in one parallel pass:
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
        var count = (int)(input.numel() / columns);
        var dtype = weights[0].dtype;
        // Several bf16 rows go to the native vdpbf16ps kernel, which reads the bf16 activations as they are. Without it
        // libtorch takes them (Applies routes them there too): widened C# tiles measured slower than libtorch.
        var native = dtype == ScalarType.BFloat16 && count > 1;
        if (native && !NativeBf16Rows.Available) return LibtorchConcatenated(input, weights);
        using var activations = input.contiguous();
        var output = empty(outputShape, dtype: dtype);
        // The activations in fp32, row after row, read for every weight row; for bf16 weights (one row here) its even
        // elements, then its odd ones.
        var activationRows = (nint)TensorMemory.DataPointer(activations);
        var x = new float[native ? 0 : (long)count * columns];
        if (dtype == ScalarType.Float32) new ReadOnlySpan<float>(TensorMemory.DataPointer(activations), x.Length).CopyTo(x);
        else if (!native)
        {
            var source = new ReadOnlySpan<ushort>(TensorMemory.DataPointer(activations), x.Length);
            for (var i = 0; i < count; i++) DeinterleaveBf16(source.Slice(i * columns, columns), x.AsSpan(i * columns, columns));
        }
        var y = (nint)TensorMemory.DataPointer(output);
        var bases = weights.Select(weight => (nint)TensorMemory.DataPointer(weight)).ToArray();
        var outputs = starts[^1];

        // Work items are chunks of rows that never straddle two weights.
        var chunks = new List<(int Weight, int Start, int Count)>();
        for (var i = 0; i < weights.Count; i++)
        {
            var rows = starts[i + 1] - starts[i];
            for (var start = 0; start < rows; start += RowsPerChunk) chunks.Add((i, start, Math.Min(RowsPerChunk, rows - start)));
        }
        void Run(int chunk)
        {
            var (weight, start, length) = chunks[chunk];
            if (count == 1)
            {
                if (dtype == ScalarType.Float32)
                    Float32Rows((float*)bases[weight] + (long)start * columns, x, (float*)y + starts[weight] + start, length, columns);
                else
                    Bf16Rows((ushort*)bases[weight] + (long)start * columns, x, (ushort*)y + starts[weight] + start, length, columns);
            }
            else if (native)
                NativeBf16Rows.Multiply((ushort*)bases[weight] + (long)start * columns, (ushort*)activationRows, count, (ushort*)y + starts[weight] + start, outputs, length, columns);
            else
                Float32RowsMany((float*)bases[weight] + (long)start * columns, x, count, (float*)y + starts[weight] + start, outputs, length, columns);
        }
        if ((long)outputs * columns * count < ParallelThreshold)
        {
            for (var chunk = 0; chunk < chunks.Count; chunk++) Run(chunk);
        }
        else
        {
            Parallel.For(0, chunks.Count, Run);
        }
        return output;
    }

    private static Tensor LibtorchConcatenated(Tensor input, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        return cat(weights.Select(weight => nn.functional.linear(input, weight)).ToArray(), -1).MoveToOuterDisposeScope();
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
    /// y[i, r] = W[r,:]·x[i,:] for weight rows r in [0, count) and input rows i in [0, inputs), y's rows
    /// <paramref name="outputs"/> apart. Tiles of 4 weight rows × up to 4 input rows: up to 16 accumulators in
    /// registers, so each loaded vector feeds several FMAs (a row-at-a-time loop would need one L1 load per FMA and run
    /// at half speed). The tile's 4 weight rows stream from memory once and stay in L1 while every group of input rows
    /// passes over them; the input rows (≤ 16 × a few KB) stay in L1/L2. A last group of fewer than 4 input rows runs a
    /// tile only as wide as it is, instead of repeating its last row. 2–4 rows in all stream instead (<see cref="Float32Stream{TWide}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float32RowsMany(float* weights, float[] x, int inputs, float* y, int outputs, int count, int columns)
    {
        fixed (float* xs = x)
        {
            switch (inputs)
            {
                case 2: Float32Stream<Two>(weights, xs, y, outputs, count, columns); return;
                case 3: Float32Stream<Three>(weights, xs, y, outputs, count, columns); return;
                case 4: Float32Stream<Four>(weights, xs, y, outputs, count, columns); return;
            }
            for (var r = 0; r < count; r += 4)
            {
                for (var first = 0; first < inputs; first += 4)
                {
                    var tall = Math.Min(4, count - r);
                    switch (inputs - first)
                    {
                        case 1: Float32Tile<One>(weights, r, tall, xs, first, y, outputs, columns); break;
                        case 2: Float32Tile<Two>(weights, r, tall, xs, first, y, outputs, columns); break;
                        case 3: Float32Tile<Three>(weights, r, tall, xs, first, y, outputs, columns); break;
                        default: Float32Tile<Four>(weights, r, tall, xs, first, y, outputs, columns); break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// 2–4 input rows (a fan-out's decode step): one weight row at a time, each loaded weight vector feeding every input
    /// row, so the weights stream in one sequential run as in <see cref="Float32Rows"/>. For 3 rows of tsuzumi-nano this
    /// took 13–22 % fewer CPU samples than 4 × 4 tiles (perf, docs/benchmarks.md); beyond 4 rows the tiles' reuse wins.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float32Stream<TWide>(float* weights, float* xs, float* y, int outputs, int count, int columns)
        where TWide : struct, ITileWidth
    {
        var wide = TWide.Value;
        var x0 = xs;
        var x1 = xs + (long)Math.Min(1, wide - 1) * columns;
        var x2 = xs + (long)Math.Min(2, wide - 1) * columns;
        var x3 = xs + (long)Math.Min(3, wide - 1) * columns;
        for (var r = 0; r < count; r++)
        {
            var w = weights + (long)r * columns;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            var c = 0;
            for (; c + 32 <= columns; c += 32)
            {
                var u = Vector512.Load(w + c);
                var v = Vector512.Load(w + c + 16);
                a0 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x0 + c), a0);
                b0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x0 + c + 16), b0);
                a1 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x1 + c), a1);
                b1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x1 + c + 16), b1);
                if (wide > 2)
                {
                    a2 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x2 + c), a2);
                    b2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x2 + c + 16), b2);
                }
                if (wide > 3)
                {
                    a3 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x3 + c), a3);
                    b3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(x3 + c + 16), b3);
                }
            }
            for (; c + 16 <= columns; c += 16)
            {
                var u = Vector512.Load(w + c);
                a0 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x0 + c), a0);
                a1 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x1 + c), a1);
                if (wide > 2) a2 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x2 + c), a2);
                if (wide > 3) a3 = Vector512.FusedMultiplyAdd(u, Vector512.Load(x3 + c), a3);
            }
            var s0 = Vector512.Sum(a0 + b0);
            var s1 = Vector512.Sum(a1 + b1);
            var s2 = wide > 2 ? Vector512.Sum(a2 + b2) : 0f;
            var s3 = wide > 3 ? Vector512.Sum(a3 + b3) : 0f;
            for (; c < columns; c++)
            {
                s0 += w[c] * x0[c];
                s1 += w[c] * x1[c];
                if (wide > 2) s2 += w[c] * x2[c];
                if (wide > 3) s3 += w[c] * x3[c];
            }
            y[r] = s0;
            y[outputs + r] = s1;
            if (wide > 2) y[2L * outputs + r] = s2;
            if (wide > 3) y[3L * outputs + r] = s3;
        }
    }

    /// <summary>Input rows per tile, a constant of each instantiation so the JIT drops the unused accumulators' code.</summary>
    private interface ITileWidth
    {
        static abstract int Value { get; }
    }

    private readonly struct One : ITileWidth
    {
        public static int Value => 1;
    }

    private readonly struct Two : ITileWidth
    {
        public static int Value => 2;
    }

    private readonly struct Three : ITileWidth
    {
        public static int Value => 3;
    }

    private readonly struct Four : ITileWidth
    {
        public static int Value => 4;
    }

    /// <summary>
    /// Weight rows [<paramref name="row"/>, +4) — the last repeated when only <paramref name="tall"/> are left: computed,
    /// never stored — against input rows [<paramref name="first"/>, +<typeparamref name="TWide"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float32Tile<TWide>(float* weights, int row, int tall, float* inputs, int first, float* y, int outputs, int columns)
        where TWide : struct, ITileWidth
    {
        var wide = TWide.Value;
        var vectorColumns = columns & ~15;
        var w0 = weights + (long)row * columns;
        var w1 = weights + (long)(row + Math.Min(1, tall - 1)) * columns;
        var w2 = weights + (long)(row + Math.Min(2, tall - 1)) * columns;
        var w3 = weights + (long)(row + Math.Min(3, tall - 1)) * columns;
        var x0 = inputs + (long)first * columns;
        var x1 = inputs + (long)(first + Math.Min(1, wide - 1)) * columns;
        var x2 = inputs + (long)(first + Math.Min(2, wide - 1)) * columns;
        var x3 = inputs + (long)(first + Math.Min(3, wide - 1)) * columns;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (var c = 0; c < vectorColumns; c += 16)
        {
            var v0 = Vector512.Load(x0 + c);
            var v1 = wide > 1 ? Vector512.Load(x1 + c) : default;
            var v2 = wide > 2 ? Vector512.Load(x2 + c) : default;
            var v3 = wide > 3 ? Vector512.Load(x3 + c) : default;
            var u0 = Vector512.Load(w0 + c);
            a00 = Vector512.FusedMultiplyAdd(u0, v0, a00);
            if (wide > 1) a01 = Vector512.FusedMultiplyAdd(u0, v1, a01);
            if (wide > 2) a02 = Vector512.FusedMultiplyAdd(u0, v2, a02);
            if (wide > 3) a03 = Vector512.FusedMultiplyAdd(u0, v3, a03);
            var u1 = Vector512.Load(w1 + c);
            a10 = Vector512.FusedMultiplyAdd(u1, v0, a10);
            if (wide > 1) a11 = Vector512.FusedMultiplyAdd(u1, v1, a11);
            if (wide > 2) a12 = Vector512.FusedMultiplyAdd(u1, v2, a12);
            if (wide > 3) a13 = Vector512.FusedMultiplyAdd(u1, v3, a13);
            var u2 = Vector512.Load(w2 + c);
            a20 = Vector512.FusedMultiplyAdd(u2, v0, a20);
            if (wide > 1) a21 = Vector512.FusedMultiplyAdd(u2, v1, a21);
            if (wide > 2) a22 = Vector512.FusedMultiplyAdd(u2, v2, a22);
            if (wide > 3) a23 = Vector512.FusedMultiplyAdd(u2, v3, a23);
            var u3 = Vector512.Load(w3 + c);
            a30 = Vector512.FusedMultiplyAdd(u3, v0, a30);
            if (wide > 1) a31 = Vector512.FusedMultiplyAdd(u3, v1, a31);
            if (wide > 2) a32 = Vector512.FusedMultiplyAdd(u3, v2, a32);
            if (wide > 3) a33 = Vector512.FusedMultiplyAdd(u3, v3, a33);
        }
        var sums = stackalloc float[16];
        sums[0] = Vector512.Sum(a00);
        sums[4] = Vector512.Sum(a10);
        sums[8] = Vector512.Sum(a20);
        sums[12] = Vector512.Sum(a30);
        if (wide > 1)
        {
            sums[1] = Vector512.Sum(a01);
            sums[5] = Vector512.Sum(a11);
            sums[9] = Vector512.Sum(a21);
            sums[13] = Vector512.Sum(a31);
        }
        if (wide > 2)
        {
            sums[2] = Vector512.Sum(a02);
            sums[6] = Vector512.Sum(a12);
            sums[10] = Vector512.Sum(a22);
            sums[14] = Vector512.Sum(a32);
        }
        if (wide > 3)
        {
            sums[3] = Vector512.Sum(a03);
            sums[7] = Vector512.Sum(a13);
            sums[11] = Vector512.Sum(a23);
            sums[15] = Vector512.Sum(a33);
        }
        for (var c = vectorColumns; c < columns; c++)
        {
            ReadOnlySpan<float> activations = [x0[c], x1[c], x2[c], x3[c]];
            ReadOnlySpan<float> weightValues = [w0[c], w1[c], w2[c], w3[c]];
            for (var j = 0; j < 4; j++)
            {
                for (var i = 0; i < wide; i++) sums[j * 4 + i] += weightValues[j] * activations[i];
            }
        }
        for (var j = 0; j < tall; j++)
        {
            for (var i = 0; i < wide; i++) y[(long)(first + i) * outputs + row + j] = sums[j * 4 + i];
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
