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

    /// <summary>
    /// How long an idle engine holds a request of a <see cref="PrefillGroup"/> for its siblings. A fan-out's asks reach
    /// the engine within a fraction of a millisecond of each other on one machine; the bound only matters when a sibling
    /// never comes (it failed earlier, or went to another silo).
    /// </summary>
    public TimeSpan GroupWait { get; init; } = TimeSpan.FromMilliseconds(5);
}
