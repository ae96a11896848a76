using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// Key/value storage for several sequences: per layer one tensor whose slots are the sequences, so a decode step of
/// rows sharing a pool appends their new keys in one write and attends over one view of all their caches
/// (<see cref="SelfAttention"/>) instead of once per row. A <see cref="KvCache"/> is a slot. Storage grows by doubling
/// — positions to the longest sequence, slots to the most sequences alive at once — and is freed when the last cache
/// leaves. Not thread-safe: one thread creates, runs and disposes the caches of a pool (the engine's thread).
/// </summary>
public sealed class KvCachePool : IDisposable
{
    private const long InitialCapacity = 64;
    private readonly Tensor?[] keys;   // per layer: [slots, kvHeads, capacity, headDim]
    private readonly Tensor?[] values; // per layer: [slots, kvHeads, capacity, headDim]
    private readonly long[] storedSlots;    // per layer: slots of the storage (its shape, without asking libtorch)
    private readonly long[] storedCapacity; // per layer: positions of the storage
    private readonly SortedSet<int> freeSlots = [];
    private readonly long kvHeads;
    private readonly long headDim;
    private readonly ScalarType dtype;
    private int slotCount; // slots handed out so far; storage holds at least this many
    private bool disposed;

    public KvCachePool(LlamaConfig config, ScalarType dtype)
    {
        keys = new Tensor?[config.NumHiddenLayers];
        values = new Tensor?[config.NumHiddenLayers];
        storedSlots = new long[config.NumHiddenLayers];
        storedCapacity = new long[config.NumHiddenLayers];
        kvHeads = config.NumKeyValueHeads;
        headDim = config.ResolvedHeadDim;
        MaxLength = config.MaxPositionEmbeddings;
        this.dtype = dtype;
    }

    /// <summary>The context window: no sequence grows past it.</summary>
    public long MaxLength { get; }

    /// <summary>Caches alive in this pool.</summary>
    public int Count => slotCount - freeSlots.Count;

    /// <summary>A fresh, empty cache in the lowest free slot (so rows admitted together sit side by side).</summary>
    public KvCache CreateCache() => new(this, CreateSlot());

    internal int CreateSlot()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (freeSlots.Count == 0) return slotCount++;
        var slot = freeSlots.Min;
        freeSlots.Remove(slot);
        return slot;
    }

    /// <summary>
    /// The pool every one of <paramref name="caches"/> lives in, or null when they are spread over several (caches
    /// made one by one with <see cref="LlamaForCausalLM.CreateCache"/> each have their own).
    /// </summary>
    public static KvCachePool? Shared(IReadOnlyList<KvCache> caches)
    {
        var pool = caches[0].Pool;
        for (var row = 1; row < caches.Count; row++)
        {
            if (!ReferenceEquals(caches[row].Pool, pool)) return null;
        }
        return pool;
    }

    /// <summary>
    /// One sequence: writes [1, kvHeads, newTokens, headDim] at positions [start, start + newTokens) of
    /// <paramref name="slot"/> and returns views [1, kvHeads, start + newTokens, headDim] of all its keys and values.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, int slot, long start, Tensor newKeys, Tensor newValues)
    {
        var end = start + newKeys.shape[2];
        EnsureCapacity(layer, end);
        // A pool of one (a cache of its own) is that cache's storage: the same two writes and two views as ever.
        var row = storedSlots[layer] == 1 ? TensorIndex.Colon : TensorIndex.Slice(slot, slot + 1);
        keys[layer]![row, TensorIndex.Colon, TensorIndex.Slice(start, end)] = newKeys;
        values[layer]![row, TensorIndex.Colon, TensorIndex.Slice(start, end)] = newValues;
        return storedSlots[layer] == 1
            ? (keys[layer]!.narrow(2, 0, end), values[layer]!.narrow(2, 0, end))
            : (keys[layer]!.narrow(0, slot, 1).narrow(2, 0, end), values[layer]!.narrow(0, slot, 1).narrow(2, 0, end));
    }

    /// <summary>
    /// A decode step of several sequences of this pool (<paramref name="step"/>): row b's new key and value
    /// [b, kvHeads, 1, headDim] go to its position in its slot, in one write; returns every row's keys and values
    /// [b, kvHeads, longest, headDim], where positions past a row's own are stale or zero (the step's mask hides them).
    /// </summary>
    internal (Tensor Keys, Tensor Values) AppendStep(int layer, PooledDecodeStep step, Tensor newKeys, Tensor newValues)
    {
        var rows = step.Rows;
        EnsureCapacity(layer, step.Longest);
        var rowIndex = TensorIndex.Tensor(step.Slots);
        var positionIndex = TensorIndex.Tensor(step.Positions);
        keys[layer]!.index_put_(newKeys.view(rows, kvHeads, headDim), rowIndex, TensorIndex.Colon, positionIndex);
        values[layer]!.index_put_(newValues.view(rows, kvHeads, headDim), rowIndex, TensorIndex.Colon, positionIndex);
        var allKeys = keys[layer]!.narrow(2, 0, step.Longest);
        var allValues = values[layer]!.narrow(2, 0, step.Longest);
        return step.FirstSlot is { } first
            ? (allKeys.narrow(0, first, rows), allValues.narrow(0, first, rows))
            : (allKeys.index_select(0, step.Slots), allValues.index_select(0, step.Slots));
    }

    /// <summary>
    /// Frees <paramref name="slot"/> for the next cache. Its stale keys and values are zeroed, so the padded positions a
    /// later row's mask hides are always finite (a masked weight of 0 times a non-finite value would still be NaN).
    /// </summary>
    internal void Release(int slot)
    {
        if (disposed) return;
        freeSlots.Add(slot);
        if (Count == 0)
        {
            // Nothing alive: give the memory back, an idle server holds no caches.
            FreeStorage();
            freeSlots.Clear();
            slotCount = 0;
            return;
        }
        using var scope = NewDisposeScope(); // callers need not hold one (the engine releases between steps)
        for (var layer = 0; layer < keys.Length; layer++)
        {
            if (keys[layer] is not { } layerKeys || slot >= storedSlots[layer]) continue;
            layerKeys[slot].zero_();
            values[layer]![slot].zero_();
        }
    }

    private void EnsureCapacity(int layer, long needed)
    {
        var current = keys[layer];
        var slots = storedSlots[layer];
        var capacity = storedCapacity[layer];
        if (needed <= capacity && slotCount <= slots) return;
        var grownSlots = Math.Max(slotCount, slots * 2);
        var grownCapacity = needed <= capacity ? capacity : Math.Min(MaxLength, Math.Max(needed, Math.Max(InitialCapacity, capacity * 2)));
        // The storage outlives the forward pass that grows it: keep it out of that pass's dispose scope.
        var newKeys = zeros(new[] { grownSlots, kvHeads, grownCapacity, headDim }, dtype: dtype).DetachFromDisposeScope();
        var newValues = zeros(new[] { grownSlots, kvHeads, grownCapacity, headDim }, dtype: dtype).DetachFromDisposeScope();
        if (current is not null)
        {
            newKeys[TensorIndex.Slice(0, slots), TensorIndex.Colon, TensorIndex.Slice(0, capacity)] = current;
            newValues[TensorIndex.Slice(0, slots), TensorIndex.Colon, TensorIndex.Slice(0, capacity)] = values[layer]!;
            current.Dispose();
            values[layer]!.Dispose();
        }
        keys[layer] = newKeys;
        values[layer] = newValues;
        storedSlots[layer] = grownSlots;
        storedCapacity[layer] = grownCapacity;
    }

    private void FreeStorage()
    {
        for (var layer = 0; layer < keys.Length; layer++)
        {
            keys[layer]?.Dispose();
            values[layer]?.Dispose();
            keys[layer] = null;
            values[layer] = null;
            storedSlots[layer] = 0;
            storedCapacity[layer] = 0;
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        FreeStorage();
    }
}
