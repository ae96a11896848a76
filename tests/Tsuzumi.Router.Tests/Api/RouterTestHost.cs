using Xunit;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Streaming;
using Tsuzumi.Router.Tests.FanOut;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>
/// The router as the service wires it (AddServiceDefaults, AddRouterServices, MapRouterEndpoints) on a real loopback
/// port, with its own catalog file, the bus in memory or on a real RabbitMQ, and scripted specialists on that bus.
/// </summary>
public sealed class RouterTestHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly DirectoryInfo folder;

    private RouterTestHost(WebApplication app, DirectoryInfo folder, Uri baseAddress, string catalogPath)
    {
        this.app = app;
        this.folder = folder;
        BaseAddress = baseAddress;
        CatalogPath = catalogPath;
    }

    public Uri BaseAddress { get; }

    public string CatalogPath { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<RouterTestHost> StartAsync(
        ScriptedSpecialists specialists, Uri? rabbitMq = null, IDictionary<string, string?>? settings = null)
    {
        var folder = Directory.CreateTempSubdirectory("tsuzumi-router-");
        var catalogPath = Path.Combine(folder.FullName, "constellation.json");
        await File.WriteAllTextAsync(catalogPath, TestCatalog.Json);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = folder.FullName });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var configuration = new Dictionary<string, string?>
        {
            ["Constellation:Catalog"] = catalogPath,
            ["Orleans:Client:Enabled"] = "false",
            ["ConnectionStrings:rabbitmq"] = rabbitMq?.ToString(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(specialists);
        builder.Services.AddSingleton<ISpecialistRouter, OverlapRouter>();
        builder.Services.AddSingleton<ISpecialistTokenSource, ScriptedTokenSource>();

        builder.AddServiceDefaults();
        builder.AddRouterServices(bus => bus.AddConsumer<ScriptedSpecialistConsumer, ScriptedSpecialistConsumerDefinition>());
        var app = builder.Build();
        app.MapRouterEndpoints();
        app.MapDefaultEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new RouterTestHost(app, folder, app.ListeningAddress(), catalogPath);
    }

    /// <summary>A client as the gateway would call: tenant and role headers set when given.</summary>
    public HttpClient CreateClient(string? tenant = null, bool admin = false, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (tenant is not null) client.DefaultRequestHeaders.Add(Caller.TenantHeader, tenant);
        if (admin) client.DefaultRequestHeaders.Add(Caller.RoleHeader, "admin");
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        try { folder.Delete(recursive: true); }
        catch (IOException) { }
    }
}
