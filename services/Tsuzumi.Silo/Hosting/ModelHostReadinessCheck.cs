using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tsuzumi.Silo.Hosting;

/// <summary>Ready once every hosted base model is loaded and its engine is running.</summary>
public sealed class ModelHostReadinessCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.IsLoaded
            ? HealthCheckResult.Healthy($"hosting {(host.HostedIds.Count == 0 ? "no base model" : string.Join(", ", host.HostedIds))}")
            : HealthCheckResult.Unhealthy($"loading {string.Join(", ", host.HostedIds)}"));
}
