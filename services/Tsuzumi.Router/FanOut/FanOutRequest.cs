using Tsuzumi.Contracts;

namespace Tsuzumi.Router.FanOut;

/// <summary>A specialist chosen for a query and its route score (null when the caller named it).</summary>
public sealed record ChosenSpecialist(string Id, double? RouteScore)
{
    /// <summary>The catalog's base model of the specialist, when known: asks of one query to the same base model are batched together.</summary>
    public string? BaseModel { get; init; }
}

/// <summary>Generation settings the caller overrides; null keeps the specialist's catalog default.</summary>
public sealed record GenerationOverrides(int? MaxTokens = null, float? Temperature = null, int? TopK = null)
{
    public static readonly GenerationOverrides None = new();
}

/// <summary>One query asked of several specialists at once, all held to one deadline.</summary>
public sealed record FanOutRequest(
    Guid QueryId,
    string Tenant,
    IReadOnlyList<ChatTurn> Conversation,
    IReadOnlyList<ChosenSpecialist> Specialists,
    GenerationOverrides Generation,
    DateTimeOffset Deadline);
