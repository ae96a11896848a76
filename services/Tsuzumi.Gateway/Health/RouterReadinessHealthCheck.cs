using Microsoft.Extensions.Diagnostics.HealthChecks;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Tsuzumi.Gateway.Health;

/// <summary>
/// Ready when every cluster has a destination that can take requests: where active health checks run (against the
/// router's own <c>/health/ready</c>, which waits for the models), one must have passed; elsewhere one must not be
/// marked unhealthy.
/// </summary>
internal sealed class RouterReadinessHealthCheck(IProxyStateLookup proxyState) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var notReady = new List<string>();
        var clusters = proxyState.GetClusters().ToArray();
        foreach (var cluster in clusters)
        {
            var activeChecks = cluster.Model.Config.HealthCheck?.Active?.Enabled == true;
            var destinations = cluster.Destinations.Values;
            var healthy = activeChecks
                ? destinations.Count(destination => destination.Health.Active == DestinationHealth.Healthy
                    && destination.Health.Passive != DestinationHealth.Unhealthy)
                : cluster.DestinationsState.AvailableDestinations.Count;
            if (healthy == 0) notReady.Add($"{cluster.ClusterId}: none of {destinations.Count} destinations is healthy");
        }
        if (clusters.Length == 0) notReady.Add("no clusters are loaded");
        return Task.FromResult(notReady.Count == 0
            ? HealthCheckResult.Healthy($"{clusters.Length} cluster(s) have a healthy destination")
            : HealthCheckResult.Unhealthy(string.Join("; ", notReady)));
    }
}
