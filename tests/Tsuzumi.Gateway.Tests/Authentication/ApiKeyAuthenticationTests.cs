namespace Tsuzumi.Gateway.Tests.Authentication;

/// <summary>Keys → tenants on the proxied request, over real HTTP to a real upstream.</summary>
public sealed class ApiKeyAuthenticationTests : IAsyncLifetime
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
    public async Task A_bearer_key_reaches_the_router_as_its_tenant_and_the_key_itself_does_not()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var forwarded = await Problems.ForwardedAsync(await client.PostAsJsonAsync("v1/ask", new { query = "What is NISA?" }, TestContext.Current.CancellationToken));

        Assert.Equal("/v1/ask", forwarded.PathAndQuery);
        Assert.Equal("acme", forwarded.Header("X-Tsuzumi-Tenant"));
        Assert.Null(forwarded.Header("X-Tsuzumi-Role"));
        Assert.Null(forwarded.Header("Authorization"));
        Assert.True(forwarded.BodyLength > 0);
    }

    [Fact]
    public async Task The_X_Api_Key_header_works_like_a_bearer_key()
    {
        using var client = _gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/specialists");
        request.Headers.Add("X-Api-Key", TestKeys.GlobexLimited);
        var forwarded = await Problems.ForwardedAsync(await client.SendAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal("globex", forwarded.Header("X-Tsuzumi-Tenant"));
        Assert.Null(forwarded.Header("X-Api-Key"));
    }

    [Fact]
    public async Task Tenant_and_role_headers_sent_by_the_client_are_replaced_not_trusted()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/specialists");
        request.Headers.Add("X-Tsuzumi-Tenant", "globex");
        request.Headers.Add("X-Tsuzumi-Role", "admin");
        request.Headers.Add("X-Tsuzumi-Anything", "spoofed");
        var forwarded = await Problems.ForwardedAsync(await client.SendAsync(request, TestContext.Current.CancellationToken));

        Assert.Equal("acme", forwarded.Header("X-Tsuzumi-Tenant"));
        Assert.Null(forwarded.Header("X-Tsuzumi-Role"));
        Assert.Null(forwarded.Header("X-Tsuzumi-Anything"));
    }

    [Fact]
    public async Task A_request_without_a_key_is_401_problem_and_never_reaches_the_router()
    {
        using var client = _gateway.Client();
        var before = _router.Requests;
        var response = await client.PostAsJsonAsync("v1/ask", new { query = "hello" }, TestContext.Current.CancellationToken);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", problem.GetProperty("detail").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(before, _router.Requests);
    }

    [Theory]
    [InlineData("tsk-acme-user-8c1f0f")] // one character off
    [InlineData("c3b2f7d4a9e1c0b8d7a6f5e4d3c2b1a0c3b2f7d4a9e1c0b8d7a6f5e4d3c2b1a0")] // a stored hash is not a key
    [InlineData("Bearer")]
    public async Task A_wrong_key_is_401_problem_and_never_reaches_the_router(string wrongKey)
    {
        using var client = _gateway.Client(wrongKey);
        var before = _router.Requests;
        var response = await client.GetAsync("v1/models", TestContext.Current.CancellationToken);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("not recognised", problem.GetProperty("detail").GetString());
        Assert.Equal(before, _router.Requests);
    }

    [Fact]
    public async Task An_admin_route_with_a_user_key_is_403_problem_and_never_reaches_the_router()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var before = _router.Requests;
        var response = await client.PostAsJsonAsync("v1/admin/catalog", new { specialists = Array.Empty<object>() }, TestContext.Current.CancellationToken);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, _router.Requests);
    }

    [Fact]
    public async Task An_admin_key_reaches_admin_routes_with_the_admin_role_header()
    {
        using var client = _gateway.Client(TestKeys.AcmeAdmin);
        var forwarded = await Problems.ForwardedAsync(
            await client.PutAsJsonAsync("v1/admin/catalog", new { specialists = Array.Empty<object>() }, TestContext.Current.CancellationToken));

        Assert.Equal("PUT", forwarded.Method);
        Assert.Equal("/v1/admin/catalog", forwarded.PathAndQuery);
        Assert.Equal("acme", forwarded.Header("X-Tsuzumi-Tenant"));
        Assert.Equal("admin", forwarded.Header("X-Tsuzumi-Role"));
    }

    [Fact]
    public async Task The_upstreams_answer_for_another_tenants_specialist_passes_through_as_its_404_problem()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var response = await client.GetAsync("v1/specialists/foreign", TestContext.Current.CancellationToken);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("does not exist", problem.GetProperty("detail").GetString());
    }
}
