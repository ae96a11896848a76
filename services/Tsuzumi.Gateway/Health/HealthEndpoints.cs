using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Tsuzumi.Gateway.Health;

/// <summary><c>/health/live</c>: the process answers; <c>/health/ready</c>: checks tagged <c>ready</c> pass.</summary>
internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return endpoints;
    }
}
