using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tsuzumi.Gateway.Authentication;

namespace Tsuzumi.Gateway.Hosting;

/// <summary>
/// With no API keys the gateway serves anyone as tenant <c>public</c>, so it must not be reachable from the network:
/// a non-loopback URL stops the start (checked on the configured URLs before binding and on the bound addresses
/// after). Also says in the log which mode the gateway runs in.
/// </summary>
internal sealed partial class LoopbackOnlyGuard(ApiKeyRegistry registry, IServer server, IConfiguration configuration, ILogger<LoopbackOnlyGuard> logger)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (registry.RequiresKeys)
        {
            LogKeysMode(logger, registry.Identities.Count, registry.Identities.Select(identity => identity.Tenant).Distinct().Count(),
                registry.Identities.Count(identity => identity.IsAdmin), registry.SecretFile is null ? "configuration" : $"configuration and {registry.SecretFile}");
            return Task.CompletedTask;
        }
        var configured = new List<string>();
        configured.AddRange(Split(configuration["urls"]));
        configured.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Url"]).OfType<string>());
        configured.AddRange(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        if (string.IsNullOrWhiteSpace(configuration["urls"]))
        {
            // ASPNETCORE_HTTP_PORTS / HTTPS_PORTS bind every interface.
            configured.AddRange(Split(configuration["http_ports"]).Select(port => $"http://*:{port}"));
            configured.AddRange(Split(configuration["https_ports"]).Select(port => $"https://*:{port}"));
        }
        RefuseNonLoopback(configured);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (registry.RequiresKeys) return Task.CompletedTask;
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
        RefuseNonLoopback(bound);
        LogOpenMode(logger, ApiKeyRegistry.PublicTenant, string.Join(", ", bound));
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static bool IsLoopback(string url)
    {
        if (url.StartsWith("unix:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("pipe:", StringComparison.OrdinalIgnoreCase)) return true;
        var host = BindingAddress.Parse(url).Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private static void RefuseNonLoopback(IEnumerable<string> urls)
    {
        var exposed = urls.Where(url => !IsLoopback(url)).Distinct().ToArray();
        if (exposed.Length > 0)
        {
            throw new InvalidOperationException(
                $"The gateway has no API keys configured, so it serves everyone as tenant '{ApiKeyRegistry.PublicTenant}' and binds to loopback only; " +
                $"refusing {string.Join(", ", exposed)}. Configure Gateway:ApiKeys or Gateway:ApiKeysFile, or bind to 127.0.0.1 / [::1] / localhost.");
        }
    }

    private static IEnumerable<string> Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "No API keys configured: the gateway serves everyone as tenant '{Tenant}', listens on loopback only ({Addresses}) and keeps admin routes closed. Configure Gateway:ApiKeys or Gateway:ApiKeysFile to serve other tenants or the network.")]
    private static partial void LogOpenMode(ILogger logger, string tenant, string addresses);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Keys} API key(s) for {Tenants} tenant(s), {Admins} with the admin role (from {Source})")]
    private static partial void LogKeysMode(ILogger logger, int keys, int tenants, int admins, string source);
}
