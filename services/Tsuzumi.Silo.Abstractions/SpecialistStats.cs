namespace Tsuzumi.Silo;

/// <summary>What one specialist activation has served.</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.SpecialistStats")]
public sealed record SpecialistStats(
    [property: Id(0)] string SpecialistId,
    [property: Id(1)] long Requests,
    [property: Id(2)] long Errors,
    [property: Id(3)] long PromptTokens,
    [property: Id(4)] long CompletionTokens,
    [property: Id(5)] double LatencyP50Ms,
    [property: Id(6)] double LatencyP95Ms,
    [property: Id(7)] string SiloAddress);
