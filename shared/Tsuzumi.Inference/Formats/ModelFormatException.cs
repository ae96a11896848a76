namespace Tsuzumi.Inference.Formats;

/// <summary>
/// A model, adapter or tokenizer file that cannot be read: wrong magic, truncated, out-of-range offsets,
/// unsupported tensor types, mis-shaped or missing tensors. The message names the file and the key or tensor.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string filePath, string? item, string problem, Exception? inner = null)
        : base(item is null ? $"{filePath}: {problem}" : $"{filePath}: {item}: {problem}", inner)
    {
        FilePath = filePath;
        Item = item;
    }

    /// <summary>The file that was being read.</summary>
    public string FilePath { get; }

    /// <summary>The metadata key or tensor name at fault, when there is one.</summary>
    public string? Item { get; }
}
