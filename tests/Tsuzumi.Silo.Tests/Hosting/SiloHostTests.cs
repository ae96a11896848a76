using Tsuzumi.Catalog;
using System.Net;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StackExchange.Redis;
using Tsuzumi.Contracts;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Silo.Extensions;
using Tsuzumi.Testing;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Silo.Tests.Hosting;

/// <summary>
/// The silo host exactly as <c>Program.cs</c> wires it (AddServiceDefaults → AddSiloServices → MapDefaultEndpoints →
/// MapSiloEndpoints) on loopback ports: health endpoints, a grain answer, the in-memory bus, and Redis clustering.
/// </summary>
public sealed class SiloHostTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task With_localhost_clustering_the_host_gets_ready_and_answers_through_grains_and_the_in_memory_bus()
    {
        await using var silo = await StartAsync(redisConnection: null);

        await AssertServesAsync(silo);
    }

    [Fact]
    public async Task With_Redis_clustering_the_silo_registers_its_membership_in_Redis()
    {
        redis.SkipIfUnavailable();
        var clusterId = $"test-{Guid.NewGuid():N}";
        await using var silo = await StartAsync(redis.ConnectionString, clusterId);

        await AssertServesAsync(silo);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var keys = connection.GetServers().SelectMany(server => server.Keys(pattern: $"*{clusterId}*")).ToArray();
        Assert.NotEmpty(keys);
    }

    [Fact]
    public async Task Orleans_Membership_tunes_the_liveness_protocol_and_a_misspelt_key_stops_the_start()
    {
        await using (var silo = await StartAsync(redisConnection: null, settings: new()
        {
            ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
            ["Orleans:Membership:NumMissedProbesLimit"] = "2",
        }))
        {
            var membership = silo.App.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
            Assert.Equal(TimeSpan.FromSeconds(2), membership.ProbeTimeout);
            Assert.Equal(2, membership.NumMissedProbesLimit);
        }

        var misspelt = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
        {
            await using var silo = await StartAsync(redisConnection: null, settings: new() { ["Orleans:Membership:ProbeTimout"] = "00:00:02" });
        });
        Assert.Contains("ProbeTimout", misspelt.Message);
    }

    private static async Task AssertServesAsync(RunningSilo silo)
    {
        using var http = new HttpClient { BaseAddress = silo.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode);
        await Queries.Eventually(async () => (await http.GetAsync("/health/ready", TestContext.Current.CancellationToken)).IsSuccessStatusCode, "the silo is ready");

        var grains = silo.App.Services.GetRequiredService<IGrainFactory>();
        var answer = await grains.GetGrain<ISpecialistGrain>("alpha").AskAsync(Queries.Ask("Mom baked a cake"));
        Assert.True(answer.CompletionTokens > 0);

        var requester = silo.App.Services.GetRequiredService<IClientFactory>()
            .CreateRequestClient<AskSpecialist>(new Uri($"queue:{SpecialistQueues.AskSpecialist}"), RequestTimeout.After(s: 60));
        var response = await requester.GetResponse<SpecialistAnswered, SpecialistFailed>(new AskSpecialist
        {
            QueryId = Guid.NewGuid(),
            SpecialistId = "beta",
            Tenant = "public",
            Conversation = [new ChatTurn("user", "Dad planted a tree")],
            Deadline = DateTimeOffset.UtcNow.AddMinutes(1),
        }, TestContext.Current.CancellationToken);
        Assert.IsType<SpecialistAnswered>(response.Message);

        var engines = await http.GetStringAsync("/silo/engines", TestContext.Current.CancellationToken);
        Assert.Contains($"\"{SpecialistCatalogFiles.BaseModel}\"", engines);
        Assert.DoesNotContain("\"decodeSteps\":0,", engines);

        // The specialists active here, with what each has served: alpha by a grain call, beta through the bus.
        var specialists = JsonNode.Parse(await http.GetStringAsync("/silo/specialists", TestContext.Current.CancellationToken))!;
        Assert.Equal(silo.App.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString(), specialists["silo"]!.GetValue<string>());
        var served = specialists["specialists"]!.AsArray().ToDictionary(specialist => specialist!["specialistId"]!.GetValue<string>(), specialist => specialist!["requests"]!.GetValue<long>());
        Assert.True(served.GetValueOrDefault("alpha") >= 1 && served.GetValueOrDefault("beta") >= 1, string.Join(", ", served));
    }

    private static async Task<RunningSilo> StartAsync(string? redisConnection, string clusterId = "tsuzumi-test", Dictionary<string, string?>? settings = null)
    {
        var modelPath = RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
        SpecialistCatalogFiles files;
        using (var probe = PretrainedModel.Load(modelPath)) files = new SpecialistCatalogFiles(modelPath, probe.Model.Config);
        var ports = FreeLoopbackPorts.Take(3);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = files.Folder, EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{ports[0]}",
            [CatalogServiceCollectionExtensions.CatalogKey] = files.CatalogPath,
            ["Silo:BaseModels"] = SpecialistCatalogFiles.BaseModel,
            ["Orleans:SiloPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:ClusterId"] = clusterId,
        });
        if (redisConnection is not null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orleans:Clustering:ProviderType"] = "Redis",
                ["Orleans:Clustering:ConnectionString"] = redisConnection,
            });
        }
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddSiloServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSiloEndpoints();
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            files.Dispose();
            throw;
        }
        return new RunningSilo(app, new Uri($"http://127.0.0.1:{ports[0]}"), files);
    }

    private sealed record RunningSilo(WebApplication App, Uri BaseAddress, SpecialistCatalogFiles Files) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            Files.Dispose();
        }
    }
}
