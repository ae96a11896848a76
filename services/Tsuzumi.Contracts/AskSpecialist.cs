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

    /// <summary>
    /// How many asks of this query (this one included) go to specialists of the same base model. The silo's engine
    /// waits a moment for all of them so that they prefill together; 1 (also what a sender that does not set it means)
    /// waits for nothing.
    /// </summary>
    public int AsksOnSameBaseModel { get; init; } = 1;
}
