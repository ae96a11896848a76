using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// The keys and values one sequence has produced so far, per layer. Storage grows by doubling, so a
/// short chat does not reserve the whole context window; <see cref="Length"/> counts the cached positions.
/// </summary>
public sealed class KvCache : IDisposable
{
    private const long InitialCapacity = 64;
    private readonly Tensor?[] keys;   // per layer: [1, kvHeads, capacity, headDim]
    private readonly Tensor?[] values; // per layer: [1, kvHeads, capacity, headDim]
    private readonly long kvHeads;
    private readonly long headDim;
    private readonly ScalarType dtype;

    public KvCache(LlamaConfig config, ScalarType dtype)
    {
        keys = new Tensor?[config.NumHiddenLayers];
        values = new Tensor?[config.NumHiddenLayers];
        kvHeads = config.NumKeyValueHeads;
        headDim = config.ResolvedHeadDim;
        MaxLength = config.MaxPositionEmbeddings;
        this.dtype = dtype;
    }

    /// <summary>Positions cached so far; the next token sits at this position.</summary>
    public long Length { get; private set; }

    /// <summary>The context window: no sequence grows past it.</summary>
    public long MaxLength { get; }

    /// <summary>
    /// Appends [1, kvHeads, newTokens, headDim] keys/values for <paramref name="layer"/> at positions
    /// [Length, Length + newTokens) and returns views of everything cached for that layer, including them.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        var newTokens = newKeys.shape[2];
        var end = Length + newTokens;
        if (end > MaxLength)
            throw new ContextWindowExceededException(end, MaxLength);
        EnsureCapacity(layer, end);
        keys[layer]![TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(Length, end)] = newKeys;
        values[layer]![TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(Length, end)] = newValues;
        return (keys[layer]!.narrow(2, 0, end), values[layer]!.narrow(2, 0, end));
    }

    /// <summary>Called once every layer has appended a step's tokens.</summary>
    public void Advance(long newTokens) => Length += newTokens;

    /// <summary>Forgets positions from <paramref name="length"/> on (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(long length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
    }

    private void EnsureCapacity(int layer, long needed)
    {
        var current = keys[layer];
        var capacity = current?.shape[2] ?? 0;
        if (needed <= capacity) return;
        var grown = Math.Min(MaxLength, Math.Max(needed, Math.Max(InitialCapacity, capacity * 2)));
        // The cache outlives the forward pass that grows it: keep its storage out of that pass's dispose scope.
        var newKeys = zeros(new[] { 1, kvHeads, grown, headDim }, dtype: dtype).DetachFromDisposeScope();
        var newValues = zeros(new[] { 1, kvHeads, grown, headDim }, dtype: dtype).DetachFromDisposeScope();
        if (current is not null)
        {
            newKeys[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, capacity)] = current;
            newValues[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, capacity)] = values[layer]!;
            current.Dispose();
            values[layer]!.Dispose();
        }
        keys[layer] = newKeys;
        values[layer] = newValues;
    }

    public void Dispose()
    {
        foreach (var tensor in keys.Concat(values)) tensor?.Dispose();
    }
}

/// <summary>A prompt plus generation that would not fit the model's context window.</summary>
public sealed class ContextWindowExceededException(long requested, long contextWindow)
    : Exception($"{requested} tokens do not fit the model's context window of {contextWindow} tokens")
{
    public long Requested { get; } = requested;

    public long ContextWindow { get; } = contextWindow;
}
