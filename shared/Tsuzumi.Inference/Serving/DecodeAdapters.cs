using Tsuzumi.Inference.Adapters;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Serving;

/// <summary>
/// The <see cref="AdapterBatch"/> of several rows, for as long as the same rows run together in the same order (decode
/// steps, or the chunks of a joint prefill): its stacked adapter tensors are built once per composition, not once per step.
/// </summary>
internal sealed class DecodeAdapters : IDisposable
{
    private readonly long[] rowIds;

    public DecodeAdapters(IReadOnlyList<EngineSequence> rows, ScalarType dtype)
        : this(rows, new AdapterBatch(rows.Select(row => row.Adapters).ToArray(), dtype))
    {
    }

    private DecodeAdapters(IReadOnlyList<EngineSequence> rows, AdapterBatch batch)
    {
        rowIds = rows.Select(row => row.Id).ToArray();
        Batch = batch;
    }

    public AdapterBatch Batch { get; }

    public bool Matches(IReadOnlyList<EngineSequence> candidate) =>
        candidate.Count == rowIds.Length && candidate.Select(row => row.Id).SequenceEqual(rowIds);

    /// <summary>
    /// The adapters of <paramref name="rows"/> when they are some of these rows in the same order (the others finished),
    /// their stacks narrowed from these (<see cref="AdapterBatch.Keep"/>); null when a row is new or the order differs.
    /// </summary>
    public DecodeAdapters? Keep(IReadOnlyList<EngineSequence> rows)
    {
        var kept = new List<int>(rows.Count);
        var position = 0;
        foreach (var row in rows)
        {
            while (position < rowIds.Length && rowIds[position] != row.Id) position++;
            if (position == rowIds.Length) return null;
            kept.Add(position++);
        }
        return new DecodeAdapters(rows, Batch.Keep(kept));
    }

    public void Dispose() => Batch.Dispose();
}
