namespace Tsuzumi.Inference.Serving;

/// <summary>Limits of one <see cref="GenerationEngine"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>Sequences decoded together in one step.</summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>Requests waiting for a batch slot before new ones are refused with <see cref="EngineBusyException"/>.</summary>
    public int MaxQueueLength { get; init; } = 64;

    /// <summary>Prompt tokens prefilled per engine step, so a long prompt never stalls the running decodes for long.</summary>
    public int PrefillChunkTokens { get; init; } = 64;
}
