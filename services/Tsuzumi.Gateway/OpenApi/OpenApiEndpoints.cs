using Scalar.AspNetCore;

namespace Tsuzumi.Gateway.OpenApi;

/// <summary>
/// <c>/openapi/v1.json</c>: the public API's document, written by hand because the router implements these paths and
/// the gateway only proxies them; <c>/docs</c>: Scalar's interactive page over it (its script is served from the package, no CDN).
/// </summary>
internal static class OpenApiEndpoints
{
    private const string ResourceName = "Tsuzumi.Gateway.OpenApi.tsuzumi-v1.json";

    public static IEndpointRouteBuilder MapPublicApiDocument(this IEndpointRouteBuilder endpoints)
    {
        var document = ReadDocument();
        endpoints.MapGet("/openapi/v1.json", () => Results.Bytes(document, "application/json")).ExcludeFromDescription();
        endpoints.MapScalarApiReference("/docs", options => options
            .WithTitle("Tsuzumi Constellation API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableTelemetry());
        return endpoints;
    }

    private static byte[] ReadDocument()
    {
        using var stream = typeof(OpenApiEndpoints).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The OpenAPI document {ResourceName} is not embedded in the gateway assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
