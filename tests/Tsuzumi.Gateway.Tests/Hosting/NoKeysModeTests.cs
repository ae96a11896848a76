using Tsuzumi.Gateway.Hosting;

namespace Tsuzumi.Gateway.Tests.Hosting;

/// <summary>The embedded default: no keys configured → tenant public, loopback only, admin closed, and the log says so.</summary>
public sealed class NoKeysModeTests
{
    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://*:0")]
    [InlineData("http://+:0")]
    [InlineData("http://[::]:0")]
    public async Task Without_keys_a_non_loopback_url_stops_the_start_with_a_clear_error(string url)
    {
        await using var router = await EchoUpstream.StartAsync();
        var settings = new Dictionary<string, string?>(GatewayHost.Destinations([router])) { ["Urls"] = url };
        await using var app = GatewayHost.Build(settings);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("no API keys configured", exception.Message);
        Assert.Contains("binds to loopback only", exception.Message);
        Assert.Contains(url, exception.Message);
    }

    [Fact]
    public async Task Without_keys_ASPNETCORE_HTTP_PORTS_which_binds_every_interface_is_refused_too()
    {
        await using var router = await EchoUpstream.StartAsync();
        var settings = new Dictionary<string, string?>(GatewayHost.Destinations([router])) { ["Urls"] = "", ["http_ports"] = "0" };
        await using var app = GatewayHost.Build(settings);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("http://*:0", exception.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://127.8.9.1:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("https://[::1]:8443", true)]
    [InlineData("unix:/run/tsuzumi/gateway.sock", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://192.168.1.10:8080", false)]
    [InlineData("http://gateway.example:8080", false)]
    public void Loopback_addresses_are_told_apart_from_the_rest(string url, bool loopback)
    {
        Assert.Equal(loopback, LoopbackOnlyGuard.IsLoopback(url));
    }

    [Fact]
    public async Task Without_keys_everyone_is_tenant_public_admin_is_closed_and_the_log_says_so()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>(GatewayHost.Destinations([router])));
        using var client = gateway.Client();
        using var spoofing = gateway.Client("some-key-nobody-configured");

        var forwarded = await Problems.ForwardedAsync(await client.PostAsJsonAsync("v1/ask", new { query = "hi" }, cancellation));
        Assert.Equal("public", forwarded.Header("X-Tsuzumi-Tenant"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "X-Tsuzumi-Tenant", "acme" } } };
        Assert.Equal("public", (await Problems.ForwardedAsync(await spoofing.SendAsync(request, cancellation))).Header("X-Tsuzumi-Tenant"));

        var admin = await Problems.AssertProblemAsync(await client.PostAsJsonAsync("v1/admin/catalog", new { }, cancellation), HttpStatusCode.Forbidden);
        Assert.Contains("no API keys are configured", admin.GetProperty("detail").GetString());

        var announcement = Assert.Single(gateway.Log, line => line.Contains("No API keys configured"));
        Assert.StartsWith("Warning", announcement);
        Assert.Contains("tenant 'public'", announcement);
        Assert.Contains(gateway.Address.Authority, announcement);
    }

    [Fact]
    public async Task With_keys_the_log_counts_keys_and_tenants_without_showing_any_hash()
    {
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router]);

        Assert.Contains(gateway.Log, line => line.Contains("3 API key(s) for 2 tenant(s), 1 with the admin role"));
        Assert.DoesNotContain(gateway.Log, line => TestKeys.Settings.Values.Any(value => value is { Length: 64 } && line.Contains(value)));
    }
}
