using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Gateway.Extensions;
using Tsuzumi.Testing;

namespace Tsuzumi.Gateway.Tests.Support;

/// <summary>
/// The gateway as its Program.cs wires it, on real Kestrel at a loopback port, with the shipped defaults
/// underneath and the test's settings on top (router destinations, keys, limits).
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, Uri address, ConcurrentQueue<string> log)
    {
        _app = app;
        Address = address;
        Log = log;
    }

    public Uri Address { get; }

    /// <summary>Everything the gateway logged at Information or above.</summary>
    public ConcurrentQueue<string> Log { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Builds the application without starting it; throws what startup validation throws.</summary>
    public static WebApplication Build(IDictionary<string, string?> settings, ConcurrentQueue<string>? log = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["ReverseProxy:Clusters:router:HealthCheck:Active:Interval"] = "00:00:00.500",
            ["ReverseProxy:Clusters:router:HealthCheck:Active:Timeout"] = "00:00:01",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new CapturingLoggerProvider(log ?? new ConcurrentQueue<string>()));

        // What Program.cs does.
        builder.AddServiceDefaults();
        builder.AddGatewayServices();
        var app = builder.Build();
        app.UseGatewayPipeline();
        app.MapDefaultEndpoints();
        app.MapGatewayEndpoints();
        return app;
    }

    public static async Task<GatewayHost> StartAsync(IDictionary<string, string?> settings)
    {
        var log = new ConcurrentQueue<string>();
        var app = Build(settings, log);
        await app.StartAsync();
        return new GatewayHost(app, app.ListeningAddress(), log);
    }

    /// <summary>The gateway over one or more upstreams, with the test keys; ready once a router replica passed its health check.</summary>
    public static async Task<GatewayHost> StartReadyAsync(IEnumerable<EchoUpstream> upstreams, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(Destinations(upstreams));
        foreach (var (key, value) in TestKeys.Settings) settings[key] = value;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        var host = await StartAsync(settings);
        await host.WaitUntilAsync(async client => (await client.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK, "the gateway to be ready");
        return host;
    }

    /// <summary>Replaces the shipped destination list with these upstreams (router-1 … router-n).</summary>
    public static Dictionary<string, string?> Destinations(IEnumerable<EchoUpstream> upstreams)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var upstream in upstreams)
            settings[$"ReverseProxy:Clusters:router:Destinations:{upstream.Name}:Address"] = upstream.Address.ToString();
        return settings;
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms for up to 15 s.</summary>
    public async Task WaitUntilAsync(Func<HttpClient, Task<bool>> condition, string what)
    {
        using var client = Client();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition(client))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited 15 s for {what}.");
            await Task.Delay(100);
        }
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
