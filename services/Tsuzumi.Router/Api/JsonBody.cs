using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;

namespace Tsuzumi.Router.Api;

/// <summary>A request body read with limits: either the value or the problem to answer with.</summary>
public readonly record struct BodyRead<T>(T? Value, IResult? Problem);

/// <summary>
/// Reads JSON request bodies with the router's limits and clear 4xx answers: not JSON (415), too large (413), empty,
/// invalid UTF-8, malformed or mistyped JSON (400, with the JSON path of the mistake).
/// </summary>
public static class JsonBody
{
    public static async Task<BodyRead<byte[]>> ReadBytesAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentType is { Length: > 0 } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            return new(null, Problems.UnsupportedMediaType(contentType));
        if (request.ContentLength > limit) return new(null, Problems.TooLarge(limit));
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = limit;

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit) return new(null, Problems.TooLarge(limit));
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, Problems.TooLarge(limit));
        }
        var bytes = buffer.ToArray();
        if (bytes.Length == 0) return new(null, Problems.BadRequest("The request body is empty; send a JSON object."));
        if (!Utf8.IsValid(bytes)) return new(null, Problems.BadRequest("The request body is not valid UTF-8."));
        return new(bytes, null);
    }

    public static async Task<BodyRead<T>> ReadAsync<T>(HttpRequest request, JsonSerializerOptions json, long limit, CancellationToken cancellationToken)
        where T : class
    {
        var body = await ReadBytesAsync(request, limit, cancellationToken);
        if (body.Problem is not null) return new(null, body.Problem);
        try
        {
            var value = JsonSerializer.Deserialize<T>(body.Value, json);
            return value is null ? new(null, Problems.BadRequest("The request body must be a JSON object, not null.")) : new(value, null);
        }
        catch (JsonException error)
        {
            return new(null, Problems.BadRequest($"The request body is not valid: {error.Message}"));
        }
    }
}
