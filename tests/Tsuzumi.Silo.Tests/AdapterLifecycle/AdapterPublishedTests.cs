using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Catalog;
using Tsuzumi.Silo.AdapterLifecycle;
using Tsuzumi.Silo.Extensions;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Tests.AdapterLifecycle;

/// <summary>
/// adapter-published as the Dapr sidecar delivers it: a CloudEvent POSTed to the subscription route of a real HTTP
/// endpoint on loopback, wired with the silo's own endpoint mapping over the hosting silo of the test cluster.
/// </summary>
[Collection(SpecialistClusterCollection.Name)]
public sealed class AdapterPublishedTests(SpecialistClusterFixture cluster) : IAsyncLifetime
{
    // One specialist per test: a published version outlives the test (as it does in a silo).
    private readonly string SpecialistId = $"epsilon-{Guid.NewGuid():N}"[..16];
    private WebApplication? endpoint;
    private HttpClient? http;
    private string? workFolder;

    public async ValueTask InitializeAsync()
    {
        if (cluster.SkipReason is not null) return;
        // A specialist of its own, so the swapped adapter never reaches another test's answers.
        cluster.Files.Write([.. SpecialistCatalogFiles.DefaultSpecialists(), SpecialistCatalogFiles.Specialist(SpecialistId, "adapters/alpha")]);
        cluster.ReloadCatalogs();
        workFolder = Directory.CreateTempSubdirectory("tsuzumi-adapter-published-").FullName;

        var silo = cluster.ServicesOf(cluster.HostingSilo);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHttpClient(AdapterPublicationHandler.HttpClientName);
        builder.Services.AddSingleton(new AdapterLifecycleOptions { Directory = Path.Combine(workFolder, "adapters") });
        builder.Services.AddSingleton(provider => new AdapterPublicationHandler(
            silo.GetRequiredService<ICatalogSource>(), silo.GetRequiredService<ModelHost>(), provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<AdapterLifecycleOptions>(), provider.GetRequiredService<IHostEnvironment>(),
            provider.GetRequiredService<ILogger<AdapterPublicationHandler>>()));
        endpoint = builder.Build();
        endpoint.UseAdapterLifecycle();
        endpoint.MapAdapterLifecycleEndpoints();
        await endpoint.StartAsync(TestContext.Current.CancellationToken);
        http = new HttpClient { BaseAddress = endpoint.ListeningAddress(), Timeout = TimeSpan.FromMinutes(1) };
    }

    public async ValueTask DisposeAsync()
    {
        http?.Dispose();
        if (endpoint is not null) await endpoint.DisposeAsync();
        if (cluster.SkipReason is not null) return;
        cluster.Files.Write(SpecialistCatalogFiles.DefaultSpecialists());
        cluster.ReloadCatalogs();
        if (workFolder is not null) Directory.Delete(workFolder, recursive: true);
    }

    [Fact]
    public async Task The_sidecar_learns_the_subscription_from_dapr_subscribe()
    {
        cluster.SkipIfUnavailable();
        using var subscriptions = JsonDocument.Parse(await http!.GetStringAsync("/dapr/subscribe", TestContext.Current.CancellationToken));
        var subscription = subscriptions.RootElement.EnumerateArray().Single().EnumerateObject()
            .ToDictionary(property => property.Name, property => property.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(AdapterLifecycleExtensions.PubSubName, subscription["pubsubname"]);
        Assert.Equal(AdapterLifecycleExtensions.Topic, subscription["topic"]);
        // Dapr.AspNetCore lists the route without its leading slash; the sidecar resolves it against the app's address.
        Assert.Equal(AdapterLifecycleExtensions.SubscriptionRoute.TrimStart('/'), subscription["route"].TrimStart('/'));
    }

    [Fact]
    public async Task A_published_version_delivered_as_a_CloudEvent_is_verified_and_swapped_in_while_requests_keep_succeeding()
    {
        cluster.SkipIfUnavailable();
        var question = Queries.Ask("The sun was bright");
        var before = await Specialist(SpecialistId).AskAsync(question);
        var beta = await Specialist("beta").AskAsync(question);
        Assert.NotEqual(beta.Text, before.Text);

        // Version 2 of epsilon's adapter is beta's weights, packed as a publisher would.
        var (archive, sha256) = Pack(Path.Combine(cluster.Files.Folder, "adapters", "beta"), "epsilon-v2.tar.gz");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(90)); // bounded, whatever happens
        var swapped = new TaskCompletionSource();
        var load = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var answers = new List<string>();
            var failures = new List<Exception>();
            var afterSwap = 0;
            while (!stop.IsCancellationRequested && afterSwap < 3)
            {
                var done = swapped.Task.IsCompleted;
                try { answers.Add((await Specialist(SpecialistId).AskAsync(question)).Text); }
                catch (Exception error) { failures.Add(error); }
                if (done) afterSwap++;
            }
            return (answers, failures);
        })).ToArray();

        await Task.Delay(200, TestContext.Current.CancellationToken); // requests are flowing
        using var response = await PostCloudEventAsync(new AdapterPublished(SpecialistId, "2.0.0", new Uri(archive).AbsoluteUri, sha256));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("SUCCESS", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(nameof(AdapterPublicationOutcome.Swapped), body.RootElement.GetProperty("outcome").GetString());
        swapped.SetResult();

        var results = await Task.WhenAll(load);
        Assert.Empty(results.SelectMany(result => result.failures));
        var texts = results.SelectMany(result => result.answers).ToArray();
        Assert.All(texts, text => Assert.True(text == before.Text || text == beta.Text, $"an answer from neither version: {text}"));
        Assert.Equal(beta.Text, (await Specialist(SpecialistId).AskAsync(question)).Text);
        Assert.Equal("2.0.0", cluster.ServicesOf(cluster.HostingSilo).GetRequiredService<ModelHost>().PublishedAdapters.Find(SpecialistId)?.Version);

        // A bad checksum is rejected (dropped for Dapr, 422 on the admin route) and version 2 keeps serving.
        var (other, _) = Pack(Path.Combine(cluster.Files.Folder, "adapters", "alpha"), "epsilon-v3.tar.gz");
        var tampered = new AdapterPublished(SpecialistId, "3.0.0", new Uri(other).AbsoluteUri, sha256);
        using var dropped = await PostCloudEventAsync(tampered);
        using var droppedBody = JsonDocument.Parse(await dropped.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("DROP", droppedBody.RootElement.GetProperty("status").GetString());
        Assert.Contains("checksum", droppedBody.RootElement.GetProperty("detail").GetString());
        using var refused = await http!.PostAsJsonAsync(AdapterLifecycleExtensions.AdminRoute, tampered, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(beta.Text, (await Specialist(SpecialistId).AskAsync(question)).Text);
        Assert.Equal("2.0.0", cluster.ServicesOf(cluster.HostingSilo).GetRequiredService<ModelHost>().PublishedAdapters.Find(SpecialistId)?.Version);
    }

    [Fact]
    public async Task The_admin_route_swaps_without_a_sidecar_and_refuses_an_unknown_specialist()
    {
        cluster.SkipIfUnavailable();
        var (archive, sha256) = Pack(Path.Combine(cluster.Files.Folder, "adapters", "beta"), "admin.zip", zip: true);
        using var swapped = await http!.PostAsJsonAsync(AdapterLifecycleExtensions.AdminRoute,
            new AdapterPublished(SpecialistId, "admin-1", new Uri(archive).AbsoluteUri, sha256), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, swapped.StatusCode);
        var question = Queries.Ask("Once there was a cat");
        Assert.Equal((await Specialist("beta").AskAsync(question)).Text, (await Specialist(SpecialistId).AskAsync(question)).Text);

        using var unknown = await http!.PostAsJsonAsync(AdapterLifecycleExtensions.AdminRoute,
            new AdapterPublished("nobody", "1", new Uri(archive).AbsoluteUri, sha256), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
    }

    private ISpecialistGrain Specialist(string id) => cluster.Client.GetGrain<ISpecialistGrain>(id);

    private Task<HttpResponseMessage> PostCloudEventAsync(AdapterPublished published)
    {
        // The envelope daprd sends to a subscriber (structured CloudEvents 1.0, data as JSON).
        var envelope = new
        {
            specversion = "1.0",
            id = Guid.NewGuid().ToString(),
            source = "adapter-publisher",
            type = "com.dapr.event.sent",
            datacontenttype = "application/json",
            pubsubname = AdapterLifecycleExtensions.PubSubName,
            topic = AdapterLifecycleExtensions.Topic,
            traceid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            tracestate = "",
            time = DateTimeOffset.UtcNow.ToString("O"),
            data = new { specialist = published.Specialist, version = published.Version, uri = published.Uri, sha256 = published.Sha256 },
        };
        var content = new StringContent(JsonSerializer.Serialize(envelope), Encoding.UTF8, "application/cloudevents+json");
        return http!.PostAsync(AdapterLifecycleExtensions.SubscriptionRoute, content, TestContext.Current.CancellationToken);
    }

    private (string Path, string Sha256) Pack(string adapterFolder, string name, bool zip = false)
    {
        var path = Path.Combine(workFolder!, name);
        if (zip)
        {
            ZipFile.CreateFromDirectory(adapterFolder, path);
        }
        else
        {
            using var file = File.Create(path);
            using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            TarFile.CreateFromDirectory(adapterFolder, gzip, includeBaseDirectory: false);
        }
        return (path, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
    }
}
