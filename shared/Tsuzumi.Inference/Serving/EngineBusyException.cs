namespace Tsuzumi.Inference.Serving;

/// <summary>The engine's queue is full: the caller should retry later (HTTP 503 / "busy"), never wait unbounded.</summary>
public sealed class EngineBusyException(int queueLength)
    : Exception($"the generation engine is busy: {queueLength} requests are already waiting")
{
    public int QueueLength { get; } = queueLength;
}
