namespace Tsuzumi.Contracts;

/// <summary>Event: a specialist could not answer its part of a query. Failures are part of the result, never dropped.</summary>
public sealed record SpecialistFailed
{
    public required Guid QueryId { get; init; }

    public required string SpecialistId { get; init; }

    /// <summary>A stable machine-readable code; see <see cref="SpecialistFailureCodes"/>.</summary>
    public required string Code { get; init; }

    public required string Reason { get; init; }
}
