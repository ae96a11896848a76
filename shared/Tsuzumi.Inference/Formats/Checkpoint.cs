using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Formats;

/// <summary>
/// One tensor of a checkpoint, named with Hugging Face keys (<c>model.layers.0.self_attn.q_proj.weight</c>),
/// shaped in PyTorch (row-major) order. Data is read on demand so a loader holds one tensor at a time as fp32.
/// </summary>
/// <param name="StorageType">The type as stored: <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>Q8_0</c>…</param>
public sealed record CheckpointTensor(string Name, long[] Shape, string StorageType, Func<float[]> ReadFloat32)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);
}

/// <summary>A model read from disk: configuration, weights under Hugging Face names, and its tokenizer.</summary>
/// <param name="Tokenizer">Null only when the file carries none.</param>
/// <param name="ChatTemplate">The model's own chat template text (Jinja) when the file carries one.</param>
public sealed record Checkpoint(
    string SourcePath,
    LlamaConfig Config,
    IReadOnlyDictionary<string, CheckpointTensor> Tensors,
    ITokenizer? Tokenizer,
    string? ChatTemplate) : IDisposable
{
    /// <summary>Releases memory maps or file handles held by the tensor readers.</summary>
    public Action? OnDispose { get; init; }

    public void Dispose() => OnDispose?.Invoke();
}
