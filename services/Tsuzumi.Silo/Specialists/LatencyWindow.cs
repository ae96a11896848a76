namespace Tsuzumi.Silo.Specialists;

/// <summary>The last <c>capacity</c> latencies, for p50/p95 that follow the current load rather than all history.</summary>
public sealed class LatencyWindow(int capacity = 512)
{
    private readonly double[] samples = new double[capacity];
    private int count;
    private int next;

    public void Add(double milliseconds)
    {
        samples[next] = milliseconds;
        next = (next + 1) % samples.Length;
        count = Math.Min(count + 1, samples.Length);
    }

    /// <summary>The nearest-rank percentile (0 when empty).</summary>
    public double Percentile(double fraction)
    {
        if (count == 0) return 0;
        var sorted = samples[..count];
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(fraction * count) - 1;
        return sorted[Math.Clamp(rank, 0, count - 1)];
    }
}
