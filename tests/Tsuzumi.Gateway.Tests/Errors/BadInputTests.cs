using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Tsuzumi.Gateway.Tests.Errors;

/// <summary>
/// The bad inputs that are the gateway's to refuse (size, path, key, role) answer with the right status and
/// problem+json, and the gateway serves normally afterwards. Bodies that are the router's to judge (invalid JSON,
/// invalid UTF-8) pass through byte for byte.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private EchoUpstream _router = null!;
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _router = await EchoUpstream.StartAsync();
        _gateway = await GatewayHost.StartReadyAsync([_router], new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "65536" });
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _router.DisposeAsync();
    }

    [Fact]
    public async Task A_huge_body_with_a_declared_length_is_413_problem_before_reaching_the_router()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var before = _router.Requests;
        var response = await client.SendAsync(TooLarge(65537), TestContext.Current.CancellationToken);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("65536", problem.GetProperty("detail").GetString());
        Assert.Equal(before, _router.Requests);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_huge_chunked_body_is_413_problem_too()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var content = new StreamContent(new ChunkedOnly(new byte[200_000]));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/ask") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        await Problems.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_body_within_the_limit_reaches_the_router_unchanged_even_when_it_is_not_valid_json_or_utf8()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        foreach (var body in new[] { "{\"query\": "u8.ToArray(), new byte[] { 0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d }, new byte[65536] })
        {
            var response = await client.PostAsync("v1/ask", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
                TestContext.Current.CancellationToken);
            var forwarded = await Problems.ForwardedAsync(response);
            Assert.Equal(body.Length, forwarded.BodyLength);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(body)), forwarded.BodySha256);
        }
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/nope")]
    [InlineData("POST", "/v2/ask")]
    [InlineData("GET", "/static/app.js")]
    public async Task An_unknown_path_is_404_problem(string method, string path)
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(path, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_oversized_header_is_refused_and_the_gateway_keeps_serving()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.Add("X-Padding", new string('a', 40 * 1024));
        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_overlong_url_is_refused_and_the_gateway_keeps_serving()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        var response = await client.GetAsync("v1/models?q=" + new string('a', 9 * 1024), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_storm_of_bad_requests_leaves_the_gateway_healthy()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var anonymous = _gateway.Client();
        using var user = _gateway.Client(TestKeys.AcmeUser);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i => (i % 3) switch
        {
            0 => (await anonymous.GetAsync("v1/models", cancellation)).StatusCode,
            1 => (await user.PostAsync("v1/admin/catalog", new StringContent("{}", Encoding.UTF8, "application/json"), cancellation)).StatusCode,
            _ => (await user.SendAsync(TooLarge(70_000), cancellation)).StatusCode,
        }));

        Assert.Equal(20, statuses.Count(status => status == HttpStatusCode.Unauthorized));
        Assert.Equal(20, statuses.Count(status => status == HttpStatusCode.Forbidden));
        Assert.Equal(20, statuses.Count(status => status == HttpStatusCode.RequestEntityTooLarge));
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        using var client = _gateway.Client(TestKeys.AcmeUser);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/ready", TestContext.Current.CancellationToken)).StatusCode);
        var forwarded = await Problems.ForwardedAsync(await client.GetAsync("v1/models", TestContext.Current.CancellationToken));
        Assert.Equal("acme", forwarded.Header("X-Tsuzumi-Tenant"));
    }

    /// <summary>
    /// An oversized body with its length declared. It asks to continue first, as clients sending large bodies should:
    /// the gateway answers 413 without reading the body and then closes the connection, so a client that sends the
    /// whole body regardless may see the connection reset instead of the answer.
    /// </summary>
    private static HttpRequestMessage TooLarge(int bytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/ask")
        {
            Content = new ByteArrayContent(new byte[bytes]) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.ExpectContinue = true;
        return request;
    }

    /// <summary>A stream that hides its length, so HttpClient must send it chunked.</summary>
    private sealed class ChunkedOnly(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
