using Tsuzumi.Inference.Adapters;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Serving;

/// <summary>
/// The <see cref="AdapterBatch"/> of the decoding rows, for as long as the same rows decode together in the same
/// order: its stacked adapter tensors are built once per composition, not once per step.
/// </summary>
internal sealed class DecodeAdapters(IReadOnlyList<EngineSequence> rows, ScalarType dtype) : IDisposable
{
    private readonly long[] rowIds = rows.Select(row => row.Id).ToArray();

    public AdapterBatch Batch { get; } = new(rows.Select(row => row.Adapters).ToArray(), dtype);

    public bool Matches(IReadOnlyList<EngineSequence> candidate) =>
        candidate.Count == rowIds.Length && candidate.Select(row => row.Id).SequenceEqual(rowIds);

    public void Dispose() => Batch.Dispose();
}
