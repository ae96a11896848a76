using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// When each receive endpoint of a bus last became ready (connected and consuming), on a test's clock: how a broker
/// outage test sees the bus come back, queue by queue.
/// </summary>
public sealed class ReceiveEndpointReadiness(Stopwatch clock) : IReceiveEndpointObserver
{
    private readonly ConcurrentDictionary<string, TimeSpan> lastReady = new();

    /// <summary>Whether <paramref name="queue"/> became ready after <paramref name="since"/>.</summary>
    public bool ReadyAfter(TimeSpan since, string queue) => lastReady.TryGetValue(queue, out var at) && at > since;

    /// <summary>"1.4 s (ask-specialist), 2.0 s (…)": the endpoints ready after <paramref name="since"/>, or "none".</summary>
    public string DescribeReadyAfter(TimeSpan since)
    {
        var after = lastReady.Where(e => e.Value > since).OrderBy(e => e.Value)
            .Select(e => $"{(e.Value - since).TotalSeconds:0.0} s ({e.Key})").ToList();
        return after.Count == 0 ? "none" : string.Join(", ", after);
    }

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        lastReady[ready.InputAddress.AbsolutePath.Trim('/')] = clock.Elapsed;
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
