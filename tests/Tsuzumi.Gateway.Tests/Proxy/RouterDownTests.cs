namespace Tsuzumi.Gateway.Tests.Proxy;

/// <summary>The router going away is a 502/503 problem for callers and "not ready" for the orchestrator, never a dead gateway.</summary>
public sealed class RouterDownTests
{
    [Fact]
    public async Task With_the_router_down_requests_get_a_problem_the_gateway_stays_live_and_recovers_when_it_returns()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router]);
        using var client = gateway.Client(TestKeys.AcmeUser);
        await router.StopAsync();

        // Before the health check notices, the forward fails (502); after, there is no destination (503).
        var first = await client.PostAsJsonAsync("v1/ask", new { query = "hello" }, cancellation);
        Assert.Contains(first.StatusCode, new[] { HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable });
        await Problems.AssertProblemAsync(first, first.StatusCode);

        await gateway.WaitUntilAsync(async probe => (await probe.GetAsync("health/ready", cancellation)).StatusCode == HttpStatusCode.ServiceUnavailable,
            "readiness to report the router down");
        var unavailable = await client.PostAsJsonAsync("v1/ask", new { query = "hello" }, cancellation);
        var problem = await Problems.AssertProblemAsync(unavailable, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("No router replica is healthy", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/live", cancellation)).StatusCode);

        await router.RestartAsync();
        await gateway.WaitUntilAsync(async probe => (await probe.GetAsync("health/ready", cancellation)).StatusCode == HttpStatusCode.OK,
            "readiness to see the router back");
        Assert.Equal("acme", (await Problems.ForwardedAsync(await client.GetAsync("v1/models", cancellation))).Header("X-Tsuzumi-Tenant"));
    }

    [Fact]
    public async Task A_router_that_is_up_but_not_ready_keeps_the_gateway_not_ready()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        router.Ready = false;
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>(GatewayHost.Destinations([router])));
        using var client = gateway.Client();

        // Several health-check rounds (every 0.5 s) go by without the gateway turning ready.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("health/ready", cancellation)).StatusCode);
            await Task.Delay(150, cancellation);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/live", cancellation)).StatusCode);

        router.Ready = true;
        await gateway.WaitUntilAsync(async probe => (await probe.GetAsync("health/ready", cancellation)).StatusCode == HttpStatusCode.OK,
            "the gateway to turn ready with the router");
    }

    [Fact]
    public async Task A_router_slower_than_the_timeout_is_a_504_problem()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router], new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:router:HttpRequest:ActivityTimeout"] = "00:00:00.300",
        });
        using var client = gateway.Client(TestKeys.AcmeUser);

        var response = await client.GetAsync("v1/slow?ms=3000", cancellation);
        await Problems.AssertProblemAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/live", cancellation)).StatusCode);
    }
}
