using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tsuzumi.Router.Api.OpenAi;

/// <summary>JSON of the OpenAI-compatible API: snake_case; unknown fields ignored, as OpenAI clients send many.</summary>
public static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>The fields of POST /v1/chat/completions the constellation honours.</summary>
public sealed record ChatCompletionRequest
{
    public string? Model { get; init; }

    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    public int? MaxTokens { get; init; }

    public int? MaxCompletionTokens { get; init; }

    public float? Temperature { get; init; }

    /// <summary>Not OpenAI's; honoured when sent.</summary>
    public int? TopK { get; init; }

    public int? N { get; init; }

    public bool? Stream { get; init; }

    public StreamOptions? StreamOptions { get; init; }
}

/// <summary>A message; content is a string or an array of parts of which only text parts are understood.</summary>
public sealed record ChatMessage
{
    public string? Role { get; init; }

    public JsonElement Content { get; init; }
}

public sealed record StreamOptions
{
    public bool? IncludeUsage { get; init; }
}

/// <summary>The fields of POST /v1/completions the constellation honours.</summary>
public sealed record CompletionRequest
{
    public string? Model { get; init; }

    public JsonElement Prompt { get; init; }

    public int? MaxTokens { get; init; }

    public float? Temperature { get; init; }

    public int? TopK { get; init; }

    public int? N { get; init; }

    public bool? Stream { get; init; }
}
