namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>One header entry: where a tensor's bytes lie, relative to the start of the data section.</summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDtype Dtype, long[] Shape, long DataBegin, long DataEnd)
{
    /// <summary>Product of <see cref="Shape"/>; 1 for a scalar (empty shape). Validated not to overflow when parsed.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    public long ByteLength => DataEnd - DataBegin;
}
