namespace Tsuzumi.Gateway.Tests.RateLimiting;

public sealed class PerKeyRateLimitTests : IAsyncLifetime
{
    private EchoUpstream _router = null!;
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _router = await EchoUpstream.StartAsync();
        _gateway = await GatewayHost.StartReadyAsync([_router]);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _router.DisposeAsync();
    }

    [Fact]
    public async Task A_key_past_its_limit_gets_429_problem_with_Retry_After_while_other_keys_go_on()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var limited = _gateway.Client(TestKeys.GlobexLimited);
        using var other = _gateway.Client(TestKeys.AcmeUser);

        // globex-limited: a burst of 2, then one token a minute.
        Assert.Equal(HttpStatusCode.OK, (await limited.GetAsync("v1/models", cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await limited.GetAsync("v1/models", cancellation)).StatusCode);
        var before = _router.Requests;
        var rejected = await limited.GetAsync("v1/models", cancellation);

        var problem = await Problems.AssertProblemAsync(rejected, HttpStatusCode.TooManyRequests);
        var retryAfter = rejected.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("no Retry-After header");
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Contains("retry after", problem.GetProperty("detail").GetString());
        Assert.Equal(before, _router.Requests);

        // Another key has its own bucket.
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("v1/models", cancellation)).StatusCode);
    }

    [Fact]
    public async Task Health_and_documentation_are_not_rate_limited()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var client = _gateway.Client(TestKeys.GlobexLimited);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/live", cancellation)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("openapi/v1.json", cancellation)).StatusCode);
        }
    }
}
