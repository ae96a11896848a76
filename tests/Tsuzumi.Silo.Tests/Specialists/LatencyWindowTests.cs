using Tsuzumi.Silo.Specialists;

namespace Tsuzumi.Silo.Tests.Specialists;

public sealed class LatencyWindowTests
{
    [Fact]
    public void Percentiles_are_nearest_rank_over_the_samples()
    {
        var window = new LatencyWindow();
        foreach (var sample in Enumerable.Range(1, 100)) window.Add(sample);

        Assert.Equal(50, window.Percentile(0.50));
        Assert.Equal(95, window.Percentile(0.95));
    }

    [Fact]
    public void Only_the_most_recent_samples_count()
    {
        var window = new LatencyWindow(capacity: 10);
        foreach (var _ in Enumerable.Range(0, 10)) window.Add(1000);
        foreach (var _ in Enumerable.Range(0, 10)) window.Add(5);

        Assert.Equal(5, window.Percentile(0.95));
    }

    [Fact]
    public void An_empty_window_reports_zero() => Assert.Equal(0, new LatencyWindow().Percentile(0.5));
}
