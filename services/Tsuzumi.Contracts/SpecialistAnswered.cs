namespace Tsuzumi.Contracts;

/// <summary>Event: a specialist answered its part of a query.</summary>
public sealed record SpecialistAnswered
{
    public required Guid QueryId { get; init; }

    public required string SpecialistId { get; init; }

    public required string Answer { get; init; }

    /// <summary>Mean log-probability of the answer's tokens: the length-normalised confidence.</summary>
    public required double MeanLogProbability { get; init; }

    public required int PromptTokens { get; init; }

    public required int CompletionTokens { get; init; }

    /// <summary>length, eos or stop.</summary>
    public required string FinishReason { get; init; }

    /// <summary>Time from the silo receiving the command to the answer, queueing included.</summary>
    public required double LatencyMs { get; init; }

    public double TimeToFirstTokenMs { get; init; }
}
