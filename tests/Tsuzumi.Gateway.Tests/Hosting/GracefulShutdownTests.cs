using System.Diagnostics;

namespace Tsuzumi.Gateway.Tests.Hosting;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Stopping_lets_in_flight_requests_finish_and_refuses_new_connections()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router]);
        using var client = gateway.Client(TestKeys.AcmeUser);

        var inFlight = client.GetAsync("v1/slow?ms=1500", cancellation);
        await router.SlowRequestArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellation);
        var clock = Stopwatch.StartNew();
        var stopping = gateway.StopAsync();

        // Draining: the request the router is still working on completes normally.
        var response = await inFlight;
        var forwarded = await Problems.ForwardedAsync(response);
        Assert.Equal("/v1/slow?ms=1500", forwarded.PathAndQuery);
        await stopping.WaitAsync(TimeSpan.FromSeconds(20), cancellation);
        Assert.True(clock.Elapsed > TimeSpan.FromMilliseconds(500), $"stop returned after {clock.Elapsed} while a request was in flight");

        using var fresh = gateway.Client(TestKeys.AcmeUser);
        await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync("v1/models", cancellation));
    }

    [Fact]
    public async Task A_request_longer_than_the_shutdown_timeout_is_cut_off_when_the_timeout_ends()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router], new Dictionary<string, string?> { ["Gateway:ShutdownTimeout"] = "00:00:00.500" });
        using var client = gateway.Client(TestKeys.AcmeUser);

        var inFlight = client.GetAsync("v1/slow?ms=20000", cancellation);
        await router.SlowRequestArrived.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellation);
        var clock = Stopwatch.StartNew();
        await gateway.StopAsync().WaitAsync(TimeSpan.FromSeconds(10), cancellation);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<Exception>(async () => (await inFlight).EnsureSuccessStatusCode());
    }
}
