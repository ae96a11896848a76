namespace Tsuzumi.Contracts;

/// <summary>
/// Command: one specialist answers one query of a fan-out. The conversation's last turn is the user's question; the
/// specialist adds its own system prompt. Overrides left null take the specialist's catalog defaults.
/// </summary>
public sealed record AskSpecialist
{
    public required Guid QueryId { get; init; }

    public required string SpecialistId { get; init; }

    /// <summary>The caller's tenant; a specialist not visible to it answers as unknown.</summary>
    public required string Tenant { get; init; }

    public required IReadOnlyList<ChatTurn> Conversation { get; init; }

    public int? MaxTokens { get; init; }

    public float? Temperature { get; init; }

    public int? TopK { get; init; }

    /// <summary>After this instant nobody waits for the answer: the silo drops the work.</summary>
    public required DateTimeOffset Deadline { get; init; }
}
