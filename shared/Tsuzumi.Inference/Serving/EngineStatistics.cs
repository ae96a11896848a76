namespace Tsuzumi.Inference.Serving;

/// <summary>A snapshot of what an engine has done: decode steps and how many rows they carried.</summary>
public sealed record EngineStatistics(
    long DecodeSteps,
    long DecodedTokens,
    long PrefilledTokens,
    int LargestBatch,
    double MeanBatchSize,
    int Running,
    int Waiting,
    long Completed,
    long Failed,
    long Cancelled,
    long Rejected);
