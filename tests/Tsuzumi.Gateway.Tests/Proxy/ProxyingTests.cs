namespace Tsuzumi.Gateway.Tests.Proxy;

/// <summary>Routing, streaming and load balancing over router replicas.</summary>
public sealed class ProxyingTests
{
    [Fact]
    public async Task Server_sent_events_stream_through_without_being_buffered()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router]);
        using var client = gateway.Client(TestKeys.AcmeUser);

        using var response = await client.GetAsync("v1/stream", HttpCompletionOption.ResponseHeadersRead, cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));

        // The upstream holds the rest back until the client has read the first event: a buffering proxy would hang here.
        Assert.Equal("data: first", await reader.ReadLineAsync(cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellation));
        router.ReleaseStream.SetResult();
        var rest = await reader.ReadToEndAsync(cancellation);
        Assert.Contains("data: second", rest);
        Assert.EndsWith("data: [DONE]\n\n", rest);
    }

    [Fact]
    public async Task Requests_spread_over_router_replicas_and_move_to_the_healthy_one_when_a_replica_stops_being_ready()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var first = await EchoUpstream.StartAsync("router-1");
        await using var second = await EchoUpstream.StartAsync("router-2");
        await using var gateway = await GatewayHost.StartReadyAsync([first, second], new Dictionary<string, string?>
        {
            ["Gateway:DefaultRateLimit:Burst"] = "100000",
            ["Gateway:DefaultRateLimit:Refill"] = "100000",
        });
        using var client = gateway.Client(TestKeys.AcmeUser);

        var replicas = new List<string>();
        for (var i = 0; i < 40; i++) replicas.Add((await Problems.ForwardedAsync(await client.GetAsync("v1/models", cancellation))).Replica);
        Assert.Contains("router-1", replicas);
        Assert.Contains("router-2", replicas);

        // router-2's /health/ready turns 503 (say, its models are reloading): the active health check takes it out.
        second.Ready = false;
        await gateway.WaitUntilAsync(async probe =>
        {
            var answered = new List<string>();
            for (var i = 0; i < 20; i++) answered.Add((await Problems.ForwardedAsync(await client.GetAsync("v1/models", cancellation))).Replica);
            return answered.All(replica => replica == "router-1");
        }, "router-2 to be taken out of rotation");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/ready", cancellation)).StatusCode);
    }
}
