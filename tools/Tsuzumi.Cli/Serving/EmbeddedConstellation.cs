using Tsuzumi.Catalog;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Gateway.Extensions;
using Tsuzumi.Silo.Extensions;

namespace Tsuzumi.Cli.Serving;

/// <summary>
/// The whole constellation in one process (decision 0005): a silo with the router in the same host on a loopback
/// port, sharing one in-memory bus, and the gateway as a second web application in front of it. No broker, no cluster.
/// </summary>
public sealed class EmbeddedConstellation : IAsyncDisposable
{
    private readonly WebApplication core;
    private readonly WebApplication gateway;

    private EmbeddedConstellation(WebApplication core, WebApplication gateway, Uri routerAddress, Uri gatewayAddress)
    {
        this.core = core;
        this.gateway = gateway;
        RouterAddress = routerAddress;
        GatewayAddress = gatewayAddress;
    }

    /// <summary>Where the gateway listens: the address users call.</summary>
    public Uri GatewayAddress { get; }

    /// <summary>The router's loopback address behind the gateway.</summary>
    public Uri RouterAddress { get; }

    /// <summary>
    /// Starts the silo and router, then the gateway at <paramref name="gatewayUrl"/> (port 0 picks a free one).
    /// <paramref name="coreSettings"/> and <paramref name="gatewaySettings"/> are applied over the defaults (API keys,
    /// rate limits, router limits), so tests and operators configure the same hosts <c>serve</c> runs.
    /// </summary>
    public static async Task<EmbeddedConstellation> StartAsync(
        string catalogPath,
        string gatewayUrl,
        LogLevel logLevel,
        CancellationToken cancellation,
        IReadOnlyDictionary<string, string?>? coreSettings = null,
        IReadOnlyDictionary<string, string?>? gatewaySettings = null)
    {
        var catalog = Path.GetFullPath(catalogPath);
        if (!File.Exists(catalog)) throw new FileNotFoundException($"no catalog at {catalog}", catalog);
        var contentRoot = AppContext.BaseDirectory;

        var coreBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, EnvironmentName = Environments.Production });
        coreBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            [CatalogServiceCollectionExtensions.CatalogKey] = catalog,
            ["Silo:BaseModels"] = "*",
            // Free ports, so two embedded constellations (or a test beside a running server) never collide.
            ["Orleans:SiloPort"] = FreeTcpPort().ToString(),
            ["Orleans:GatewayPort"] = FreeTcpPort().ToString(),
            // The catalog's vectors survive between runs: a second `tsuzumi ask` does not embed the labelled queries again.
            ["Routing:EmbeddingCache"] = Tsuzumi.Router.Routing.RoutingEmbeddingCache.DefaultPath,
        });
        coreBuilder.Configuration.AddInMemoryCollection(LogLevels(logLevel));
        if (coreSettings is not null) coreBuilder.Configuration.AddInMemoryCollection(coreSettings);
        coreBuilder.AddServiceDefaults();
        coreBuilder.AddSiloServices(ownBus: false);
        coreBuilder.AddRouterServices(bus => bus.AddSpecialistConsumer());
        var core = coreBuilder.Build();
        core.UseAdapterLifecycle();
        core.MapDefaultEndpoints();
        core.MapSiloEndpoints();
        core.MapRouterEndpoints();
        await core.StartAsync(cancellation);
        var routerAddress = core.ListeningAddress();

        var gatewayBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, EnvironmentName = Environments.Production });
        gatewayBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = gatewayUrl,
            ["ReverseProxy:Clusters:router:Destinations:router-1:Address"] = routerAddress.ToString(),
        });
        gatewayBuilder.Configuration.AddInMemoryCollection(LogLevels(logLevel));
        if (gatewaySettings is not null) gatewayBuilder.Configuration.AddInMemoryCollection(gatewaySettings);
        gatewayBuilder.AddServiceDefaults();
        gatewayBuilder.AddGatewayServices();
        var gateway = gatewayBuilder.Build();
        gateway.UseGatewayPipeline();
        gateway.MapDefaultEndpoints();
        gateway.MapGatewayEndpoints();
        try
        {
            await gateway.StartAsync(cancellation);
        }
        catch
        {
            await core.StopAsync(CancellationToken.None);
            await core.DisposeAsync();
            throw;
        }
        return new EmbeddedConstellation(core, gateway, routerAddress, gateway.ListeningAddress());
    }

    /// <summary>Completes once the gateway reports ready (a router replica that has its models loaded).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = GatewayAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready", cancellation);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the constellation was not ready within {timeout.TotalSeconds:0} s");
            await Task.Delay(200, cancellation);
        }
    }

    /// <summary>Runs until <paramref name="cancellation"/> (Ctrl-C), then drains in-flight requests and stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation) => Task.Delay(Timeout.Infinite, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        // Gateway first, so no new request reaches a router that is going away.
        await gateway.StopAsync(CancellationToken.None);
        await core.StopAsync(CancellationToken.None);
        await gateway.DisposeAsync();
        await core.DisposeAsync();
    }

    /// <summary>Configuration wins over code for log filters, so the levels go in as configuration.</summary>
    private static Dictionary<string, string?> LogLevels(LogLevel level)
    {
        var noisy = (level < LogLevel.Warning ? LogLevel.Warning : level).ToString();
        return new()
        {
            ["Logging:LogLevel:Default"] = level.ToString(),
            ["Logging:LogLevel:Microsoft.AspNetCore"] = noisy,
            ["Logging:LogLevel:Orleans"] = (level < LogLevel.Error ? LogLevel.Error : level).ToString(), // start-up notes about server GC on 2 cores
            ["Logging:LogLevel:MassTransit"] = noisy,
            ["Logging:LogLevel:Yarp"] = noisy,
            ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = LogLevel.Critical.ToString(),
        };
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
