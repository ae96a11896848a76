namespace Tsuzumi.Silo;

/// <summary>A specialist's answer with its confidence, token counts and timings.</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.SpecialistAnswer")]
public sealed record SpecialistAnswer(
    [property: Id(0)] string SpecialistId,
    [property: Id(1)] string Text,
    [property: Id(2)] double MeanLogProbability,
    [property: Id(3)] int PromptTokens,
    [property: Id(4)] int CompletionTokens,
    [property: Id(5)] string FinishReason,
    [property: Id(6)] double TimeToFirstTokenMs,
    [property: Id(7)] double LatencyMs);

/// <summary>A piece of a streamed answer; the last one has <see cref="Final"/> set.</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.SpecialistChunk")]
public sealed record SpecialistChunk([property: Id(0)] string Text, [property: Id(1)] SpecialistAnswer? Final);
