namespace Tsuzumi.Router.Api;

/// <summary>Body of POST /v1/ask. Only <see cref="Query"/> is required.</summary>
public sealed record AskRequest
{
    public string? Query { get; init; }

    /// <summary>Ask exactly these specialists (bypasses routing).</summary>
    public IReadOnlyList<string>? Specialists { get; init; }

    /// <summary>best, merge, vote or synthesize; absent: chosen by the answers' shape.</summary>
    public string? Strategy { get; init; }

    public int? MaxTokens { get; init; }

    public float? Temperature { get; init; }

    public int? TopK { get; init; }

    public int? DeadlineMs { get; init; }
}

/// <summary>Body of POST /v1/route.</summary>
public sealed record RouteRequest
{
    public string? Query { get; init; }
}
