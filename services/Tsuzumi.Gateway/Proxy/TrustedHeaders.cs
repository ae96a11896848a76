using System.Security.Claims;
using Tsuzumi.Gateway.Authentication;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tsuzumi.Gateway.Proxy;

/// <summary>
/// The router trusts <c>X-Tsuzumi-Tenant</c> and <c>X-Tsuzumi-Role</c> (decision 0005), so on every proxied request
/// the gateway drops whatever <c>X-Tsuzumi-*</c> the client sent and sets them from the authenticated key. The key
/// itself is not forwarded.
/// </summary>
internal sealed class TrustedHeaders : ITransformProvider
{
    public const string Prefix = "X-Tsuzumi-";
    public const string Tenant = "X-Tsuzumi-Tenant";
    public const string Role = "X-Tsuzumi-Role";

    public void ValidateRoute(TransformRouteValidationContext context) { }

    public void ValidateCluster(TransformClusterValidationContext context) { }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(transform =>
    {
        var request = transform.ProxyRequest;
        var untrusted = request.Headers.Select(header => header.Key)
            .Where(name => name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals(ApiKeyAuthenticationHandler.ApiKeyHeader, StringComparison.OrdinalIgnoreCase))
            .ToArray();
        foreach (var name in untrusted) request.Headers.Remove(name);

        var user = transform.HttpContext.User;
        var tenant = user.FindFirstValue(GatewayClaims.Tenant)
            ?? throw new InvalidOperationException("A proxied route ran without an authenticated tenant; every route needs an AuthorizationPolicy.");
        request.Headers.TryAddWithoutValidation(Tenant, tenant);
        if (user.IsInRole(ApiKeyRegistry.AdminRole)) request.Headers.TryAddWithoutValidation(Role, ApiKeyRegistry.AdminRole);
        return ValueTask.CompletedTask;
    });
}
