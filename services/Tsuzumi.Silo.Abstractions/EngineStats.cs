namespace Tsuzumi.Silo;

/// <summary>A snapshot of one silo's engine for one base model: how many rows its decode steps carried.</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.EngineStats")]
public sealed record EngineStats(
    [property: Id(0)] string BaseModelId,
    [property: Id(1)] string SiloAddress,
    [property: Id(2)] long DecodeSteps,
    [property: Id(3)] long DecodedTokens,
    [property: Id(4)] int LargestBatch,
    [property: Id(5)] double MeanBatchSize,
    [property: Id(6)] int Running,
    [property: Id(7)] int Waiting,
    [property: Id(8)] long Completed,
    [property: Id(9)] long Failed,
    [property: Id(10)] long Rejected,
    [property: Id(11)] long Cancelled);
