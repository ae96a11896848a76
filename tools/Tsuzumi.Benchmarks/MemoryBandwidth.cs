using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// Memory read bandwidth as decoding sees it: <c>threads</c> workers each sum their share of a 1 GiB array with
/// Vector512 loads (far larger than any cache), best of a few passes. Hand-written: a few lines, no library measures
/// exactly "what can N threads stream from DRAM".
/// </summary>
internal static class MemoryBandwidth
{
    /// <returns>Bytes per second.</returns>
    public static double MeasureRead(int threads, long bytes = 1L << 30, int passes = 5)
    {
        var data = GC.AllocateUninitializedArray<float>((int)(bytes / sizeof(float)));
        // Touch every page (in parallel, as the sums will) so the passes measure reads, not page faults.
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, worker =>
        {
            var (start, length) = Share(data.Length, threads, worker);
            data.AsSpan(start, length).Fill(1f);
        });
        var best = double.MaxValue;
        var sink = 0f;
        for (var pass = 0; pass < passes; pass++)
        {
            var partial = new float[threads];
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, worker =>
            {
                var (start, length) = Share(data.Length, threads, worker);
                partial[worker] = Sum(data.AsSpan(start, length));
            });
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
            sink += partial.Sum();
        }
        GC.KeepAlive(sink);
        return data.LongLength * sizeof(float) / best;
    }

    private static (int Start, int Length) Share(int total, int parts, int part)
    {
        var size = (total / parts) & ~63; // whole vectors, whole cache lines
        var start = part * size;
        return (start, part == parts - 1 ? total - start : size);
    }

    /// <summary>Four independent accumulators so the adds never wait on each other; loads stay the bottleneck.</summary>
    private static float Sum(ReadOnlySpan<float> values)
    {
        var width = Vector512<float>.Count;
        Vector512<float> a = default, b = default, c = default, d = default;
        var i = 0;
        for (; i + 4 * width <= values.Length; i += 4 * width)
        {
            a += Vector512.Create(values.Slice(i, width));
            b += Vector512.Create(values.Slice(i + width, width));
            c += Vector512.Create(values.Slice(i + 2 * width, width));
            d += Vector512.Create(values.Slice(i + 3 * width, width));
        }
        var total = Vector512.Sum(a + b + c + d);
        for (; i < values.Length; i++) total += values[i];
        return total;
    }
}
