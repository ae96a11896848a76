using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Tsuzumi.Gateway.Authentication;
using Tsuzumi.Gateway.Configuration;
using Tsuzumi.Gateway.Errors;
using Tsuzumi.Gateway.Health;
using Tsuzumi.Gateway.Hosting;
using Tsuzumi.Gateway.OpenApi;
using Tsuzumi.Gateway.Proxy;
using Tsuzumi.Gateway.RateLimiting;

namespace Tsuzumi.Gateway.Extensions;

public static class GatewayServiceExtensions
{
    /// <summary>Route policies named in <c>ReverseProxy:Routes:*:AuthorizationPolicy</c>.</summary>
    public const string TenantPolicy = "tenant";
    public const string AdminPolicy = "admin";

    /// <summary>
    /// Keys, limits and the proxy from configuration, over the shipped defaults (<see cref="GatewayDefaults"/>). Bad
    /// configuration (keys, limits, routes, destinations) throws here, before anything binds.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        GatewayDefaults.AddUnderneath(builder.Configuration);
        var gateway = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        if (gateway.MaxRequestBodyBytes < 1) throw new InvalidOperationException("Gateway:MaxRequestBodyBytes must be positive.");
        ProxyConfigurationValidator.Validate(builder.Configuration);
        var registry = ApiKeyRegistry.Load(gateway, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(registry);

        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = gateway.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = gateway.ShutdownTimeout);
        builder.Services.AddProblemDetails();

        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(TenantPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(GatewayClaims.Tenant))
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(GatewayClaims.Tenant).RequireRole(ApiKeyRegistry.AdminRole));
        builder.Services.AddRateLimiter(options => PerKeyRateLimits.Configure(options, registry, gateway));

        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection(ProxyConfigurationValidator.SectionName))
            .AddTransforms<TrustedHeaders>();
        builder.Services.AddHealthChecks().AddCheck<RouterReadinessHealthCheck>("router", tags: [Microsoft.Extensions.Hosting.Extensions.ReadyTag]);
        builder.Services.AddHostedService<LoopbackOnlyGuard>();
        return builder;
    }

    /// <summary>The gateway's middleware, in order: error bodies, size limit, key → tenant, rate limit, role checks.</summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.UseStatusCodePages();
        app.Use(RequestSizeLimit.InvokeAsync);
        app.UseAuthentication();
        app.UseRateLimiter(); // after authentication, so the limit is per key; before authorization, so wrong keys are limited too
        app.UseAuthorization();
        return app;
    }

    /// <summary>The proxied routes, the OpenAPI document and page, and 404 problem+json for anything else (health comes from MapDefaultEndpoints).</summary>
    public static IEndpointRouteBuilder MapGatewayEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReverseProxy(proxy =>
        {
            proxy.Use(ForwarderErrorProblems.InvokeAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        endpoints.MapPublicApiDocument();
        endpoints.MapFallback("{**path}", context => GatewayProblems.WriteAsync(
            context, StatusCodes.Status404NotFound, "Not Found", $"The gateway has no route for {context.Request.Method} {context.Request.Path}."));
        return endpoints;
    }
}
