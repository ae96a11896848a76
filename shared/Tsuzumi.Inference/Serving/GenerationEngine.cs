using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;

namespace Tsuzumi.Inference.Serving;

/// <summary>
/// Continuous batching over one base model: requests join and leave the running batch at token boundaries, each row
/// with its own adapters, KV cache and sampler. Thread-safe; the model runs on the engine's own thread.
/// </summary>
public sealed class GenerationEngine : IAsyncDisposable
{
    public GenerationEngine(PretrainedModel model, AdapterRegistry adapters, EngineOptions? options = null)
    {
        Model = model;
        Adapters = adapters;
        Options = options ?? new EngineOptions();
        throw new NotImplementedException("GenerationEngine is being built (issue 5)");
    }

    public PretrainedModel Model { get; }

    public AdapterRegistry Adapters { get; }

    public EngineOptions Options { get; }

    /// <summary>
    /// Queues <paramref name="request"/> and completes with its result. <paramref name="onToken"/> runs on the engine
    /// thread for every token (keep it cheap). Throws <see cref="EngineBusyException"/> at once when the queue is full,
    /// <see cref="UnknownAdapterException"/> for an adapter the registry lacks, and
    /// <see cref="Model.ContextWindowExceededException"/> for a prompt that does not fit. Cancelling frees the slot
    /// at the next token boundary.
    /// </summary>
    public Task<GenerationResult> GenerateAsync(EngineRequest request, Action<GeneratedToken>? onToken = null, CancellationToken cancellation = default) =>
        throw new NotImplementedException();

    /// <summary>The same as <see cref="GenerateAsync"/>, as a token stream.</summary>
    public IAsyncEnumerable<GeneratedToken> StreamAsync(EngineRequest request, CancellationToken cancellation = default) =>
        throw new NotImplementedException();

    public EngineStatistics Statistics => throw new NotImplementedException();

    /// <summary>Stops taking requests, cancels the waiting ones, and finishes after the engine thread exits.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
