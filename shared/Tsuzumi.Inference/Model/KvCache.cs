using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// The keys and values one sequence has produced so far, per layer: a slot of a <see cref="KvCachePool"/>, its own
/// (<see cref="LlamaForCausalLM.CreateCache"/>) or shared with the rows it decodes beside (<see cref="KvCachePool.CreateCache"/>).
/// Storage grows by doubling, so a short chat does not reserve the whole context window; <see cref="Length"/> counts
/// the cached positions.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly bool ownsPool;
    private bool disposed;

    /// <summary>A cache with a pool of its own.</summary>
    public KvCache(LlamaConfig config, ScalarType dtype)
    {
        Pool = new KvCachePool(config, dtype);
        Slot = Pool.CreateSlot();
        ownsPool = true;
    }

    internal KvCache(KvCachePool pool, int slot)
    {
        Pool = pool;
        Slot = slot;
    }

    /// <summary>Where the keys and values live: rows of one pool can attend in one pass.</summary>
    public KvCachePool Pool { get; }

    /// <summary>This sequence's index in <see cref="Pool"/>'s storage.</summary>
    internal int Slot { get; }

    /// <summary>Positions cached so far; the next token sits at this position.</summary>
    public long Length { get; private set; }

    /// <summary>The context window: no sequence grows past it.</summary>
    public long MaxLength => Pool.MaxLength;

    /// <summary>
    /// Appends [1, kvHeads, newTokens, headDim] keys/values for <paramref name="layer"/> at positions
    /// [Length, Length + newTokens) and returns views of everything cached for that layer, including them.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        var end = Length + newKeys.shape[2];
        if (end > MaxLength)
            throw new ContextWindowExceededException(end, MaxLength);
        return Pool.Append(layer, Slot, Length, newKeys, newValues);
    }

    /// <summary>Called once every layer has appended a step's tokens.</summary>
    public void Advance(long newTokens) => Length += newTokens;

    /// <summary>Forgets positions from <paramref name="length"/> on (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(long length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (ownsPool) Pool.Dispose();
        else Pool.Release(Slot);
    }
}

/// <summary>A prompt plus generation that would not fit the model's context window.</summary>
public sealed class ContextWindowExceededException(long requested, long contextWindow)
    : Exception($"{requested} tokens do not fit the model's context window of {contextWindow} tokens")
{
    public long Requested { get; } = requested;

    public long ContextWindow { get; } = contextWindow;
}
