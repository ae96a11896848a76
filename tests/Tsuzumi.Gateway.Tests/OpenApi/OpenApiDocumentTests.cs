using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Tsuzumi.Gateway.Tests.OpenApi;

public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task The_document_parses_without_errors_and_describes_the_public_api()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router]);
        using var client = gateway.Client();

        var response = await client.GetAsync("openapi/v1.json", cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var result = await OpenApiDocument.LoadAsync(await response.Content.ReadAsStreamAsync(cancellation), "json", cancellationToken: cancellation);

        Assert.Empty(result.Diagnostic!.Errors);
        var document = result.Document!;
        foreach (var path in new[] { "/v1/ask", "/v1/route", "/v1/specialists", "/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/specialists/{id}", "/v1/admin/catalog", "/health/live", "/health/ready" })
            Assert.Contains(path, document.Paths.Keys);
        Assert.Contains("bearer", document.Components!.SecuritySchemes!.Keys);
        var ask = document.Paths["/v1/ask"].Operations![HttpMethod.Post];
        Assert.Contains("429", ask.Responses!.Keys);
        Assert.Equal("query", Assert.Single(ask.RequestBody!.Content!["application/json"].Schema!.Required!));
        Assert.Contains("403", document.Paths["/v1/admin/catalog"].Operations![HttpMethod.Put].Responses!.Keys);
    }

    [Fact]
    public async Task The_interactive_page_is_served_with_its_script_from_the_gateway_itself()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router]);
        using var client = gateway.Client();

        var page = await client.GetAsync("docs", cancellation);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(cancellation);
        Assert.Contains("\"url\":\"openapi/v1.json\"", html);
        Assert.DoesNotContain("cdn.jsdelivr.net", html);

        var script = await client.GetAsync("docs/scalar.js", cancellation);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(cancellation)).Length > 100_000);
    }
}
