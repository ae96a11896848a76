using System.Text.Json;

namespace Tsuzumi.Router.Api.OpenAi;

/// <summary>Writes OpenAI-style server-sent events: one <c>data: {json}</c> per chunk, flushed at once, then <c>data: [DONE]</c>.</summary>
public sealed class ServerSentEvents(HttpResponse response)
{
    public void Start()
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public async Task WriteAsync<T>(T chunk, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, OpenAiJson.Options) + "\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: [DONE]\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Splits text into word-sized pieces for streaming an answer that exists only whole (the constellation's combined
    /// answer); text without spaces (Japanese) goes in short runs, never splitting a surrogate pair.
    /// </summary>
    public static IEnumerable<string> Pieces(string text, int maxPieceChars = 12)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = start;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && end - start < maxPieceChars) end++;
            while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (end == start) end++;
            if (end < text.Length && char.IsLowSurrogate(text[end])) end++;
            yield return text[start..end];
            start = end;
        }
    }
}
