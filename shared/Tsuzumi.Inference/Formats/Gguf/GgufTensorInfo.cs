namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>One entry of a GGUF file's tensor table.</summary>
/// <param name="Dimensions">GGML order: <c>ne[0]</c> (the fastest-varying, contiguous axis) first.</param>
/// <param name="Offset">Byte offset of the data, relative to the start of the data section.</param>
/// <param name="ByteCount">Bytes the data takes, from the type's block geometry.</param>
public sealed record GgufTensorInfo(string Name, long[] Dimensions, GgufTensorType Type, long Offset, long ByteCount)
{
    public long ElementCount => Dimensions.Aggregate(1L, (product, dimension) => product * dimension);

    /// <summary>The same data viewed as a row-major PyTorch tensor: the GGML dimensions reversed.</summary>
    public long[] PyTorchShape => Dimensions.Reverse().ToArray();
}
