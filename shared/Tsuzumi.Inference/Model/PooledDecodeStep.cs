using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// What every layer of one decode step shares when its rows' caches are slots of one <see cref="KvCachePool"/>: the
/// slots, the position each row's new key and value go to, how far the longest row reaches, and the mask hiding each
/// row's padding. <see cref="LlamaModel"/> builds it once per step instead of every layer building it again; its
/// tensors live in that forward's dispose scope.
/// </summary>
public sealed class PooledDecodeStep
{
    private PooledDecodeStep(KvCachePool pool, IReadOnlyList<KvCache> caches, Tensor positions)
    {
        Pool = pool;
        Rows = caches.Count;
        var slots = new long[Rows];
        var adjacent = true; // slots first, first + 1, …: the rows are a plain view of the storage, no gather needed
        for (var row = 0; row < Rows; row++)
        {
            slots[row] = caches[row].Slot;
            Longest = Math.Max(Longest, caches[row].Length + 1);
            adjacent &= slots[row] == slots[0] + row;
        }
        FirstSlot = adjacent ? slots[0] : null;
        Slots = tensor(slots);
        Positions = positions.view(Rows);
        // Rows of equal length (a fan-out after its joint prefill) need no mask.
        if (caches.Any(cache => cache.Length != caches[0].Length))
            Mask = (TensorArithmetic.Range(Longest) <= positions).view(Rows, 1, 1, Longest); // [b, 1, 1, longest] bool, over heads and groups
    }

    internal KvCachePool Pool { get; }

    internal int Rows { get; }

    /// <summary>The largest position written this step, plus one: the rows' keys are viewed this long.</summary>
    internal long Longest { get; }

    /// <summary>The first row's slot when the rows' slots are side by side in order, else null (the rows are gathered).</summary>
    internal long? FirstSlot { get; }

    /// <summary>[b] the rows' slots.</summary>
    internal Tensor Slots { get; }

    /// <summary>[b] the position each row's new token takes.</summary>
    internal Tensor Positions { get; }

    /// <summary>[b, 1, 1, longest] true where row b may attend; null when every row is at the same length.</summary>
    internal Tensor? Mask { get; }

    /// <summary>
    /// The plan for a forward of <paramref name="sequence"/> new tokens per row at <paramref name="positions"/> [b, 1]:
    /// only a decode step (one token) of two or more rows whose caches share a pool attends in one pass.
    /// </summary>
    internal static PooledDecodeStep? For(IReadOnlyList<KvCache> caches, Tensor positions, long sequence) =>
        sequence == 1 && caches.Count > 1 && KvCachePool.Shared(caches) is { } pool ? new PooledDecodeStep(pool, caches, positions) : null;
}
