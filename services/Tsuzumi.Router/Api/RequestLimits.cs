using Microsoft.Extensions.Options;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Api;

/// <summary>The bounds every request's generation settings and deadline are checked against; null means valid.</summary>
public sealed class RequestLimits(IOptions<RouterOptions> options)
{
    private const float MaxTemperature = 2f;
    private const int MaxTopK = 1000;

    public RouterOptions Options => options.Value;

    public string? CheckGeneration(GenerationOverrides generation)
    {
        if (generation.MaxTokens is { } maxTokens && (maxTokens < 1 || maxTokens > options.Value.MaxTokensLimit))
            return $"maxTokens must be between 1 and {options.Value.MaxTokensLimit}, not {maxTokens}.";
        if (generation.Temperature is { } temperature && (!float.IsFinite(temperature) || temperature < 0 || temperature > MaxTemperature))
            return $"temperature must be between 0 and {MaxTemperature}, not {temperature}.";
        if (generation.TopK is { } topK && (topK < 0 || topK > MaxTopK))
            return $"topK must be between 0 (off) and {MaxTopK}, not {topK}.";
        return null;
    }

    public string? CheckDeadline(int? deadlineMs, out TimeSpan deadline)
    {
        deadline = TimeSpan.FromMilliseconds(deadlineMs ?? options.Value.DefaultDeadlineMs);
        if (deadlineMs is { } ms && (ms < 1 || ms > options.Value.MaxDeadlineMs))
            return $"deadlineMs must be between 1 and {options.Value.MaxDeadlineMs}, not {ms}.";
        return null;
    }

    public string? CheckQuery(string? query, string field)
    {
        if (string.IsNullOrWhiteSpace(query)) return $"{field} is required and must not be empty.";
        if (query.Length > options.Value.MaxQueryChars) return $"{field} is longer than {options.Value.MaxQueryChars} characters.";
        return null;
    }
}
