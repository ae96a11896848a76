using System.Text.Json;
using System.Text.Unicode;

namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>
/// The parsed, validated JSON header. Every check runs before any tensor is touched, and nothing is allocated in
/// proportion to a size the header merely claims, so a hostile header costs no more than its own length.
/// </summary>
public sealed record SafetensorsHeader(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<SafetensorsTensorInfo> Tensors)
{
    /// <summary>The reference implementation's ceiling on the header length.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>
    /// Parses <paramref name="json"/> and checks it against a data section of <paramref name="dataLength"/> bytes:
    /// known dtypes, non-negative shapes whose byte size does not overflow and equals <c>end - begin</c>, unique names,
    /// and offsets that tile the data section exactly (the reference's rule, which rules out overlaps and gaps).
    /// </summary>
    /// <returns>Tensors in data-offset order.</returns>
    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        // JsonDocument defers UTF-8 checks of strings until they are read; check once, up front (the reference does too).
        if (!Utf8.IsValid(json))
            throw new ModelFormatException(path, null, "header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException(path, null, $"header is not valid JSON: {exception.Message}", exception);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(path, null, $"header must be a JSON object, found {document.RootElement.ValueKind}");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new ModelFormatException(path, property.Name, "appears twice in the header");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    tensors.Add(ReadTensor(path, property.Name, property.Value));
            }

            tensors.Sort((left, right) => left.DataBegin != right.DataBegin
                ? left.DataBegin.CompareTo(right.DataBegin)
                : left.DataEnd.CompareTo(right.DataEnd));
            long expectedBegin = 0;
            foreach (var tensor in tensors)
            {
                if (tensor.DataBegin != expectedBegin)
                    throw new ModelFormatException(path, tensor.Name,
                        tensor.DataBegin < expectedBegin
                            ? $"data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] overlap the previous tensor, which ends at {expectedBegin}"
                            : $"data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] leave a gap after byte {expectedBegin}");
                if (tensor.DataEnd > dataLength)
                    throw new ModelFormatException(path, tensor.Name,
                        $"data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] run past the data section of {dataLength} bytes (file truncated?)");
                expectedBegin = tensor.DataEnd;
            }
            if (expectedBegin != dataLength)
                throw new ModelFormatException(path, null,
                    $"tensors cover {expectedBegin} bytes but the data section holds {dataLength} (trailing bytes or missing tensors)");

            return new SafetensorsHeader(metadata, tensors);
        }
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, MetadataKey, $"must be an object of strings, found {element.ValueKind}");
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new ModelFormatException(path, $"{MetadataKey}.{entry.Name}", $"must be a string, found {entry.Value.ValueKind}");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new ModelFormatException(path, $"{MetadataKey}.{entry.Name}", "appears twice");
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(path, name, $"entry must be an object, found {element.ValueKind}");

        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new ModelFormatException(path, name, "has no string 'dtype'");
        var dtypeText = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryParse(dtypeText, out var dtype))
            throw new ModelFormatException(path, name, $"dtype '{dtypeText}' is not supported");

        if (!element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException(path, name, "has no 'shape' array");
        var shape = new long[shapeElement.GetArrayLength()];
        long elementCount = 1;
        var index = 0;
        foreach (var dimensionElement in shapeElement.EnumerateArray())
        {
            if (dimensionElement.ValueKind != JsonValueKind.Number || !dimensionElement.TryGetInt64(out var dimension) || dimension < 0)
                throw new ModelFormatException(path, name, $"shape[{index}] must be a non-negative integer, found {dimensionElement.GetRawText()}");
            shape[index++] = dimension;
            elementCount = CheckedMultiply(path, name, elementCount, dimension);
        }
        var byteLength = CheckedMultiply(path, name, elementCount, dtype.Size());

        if (!element.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw new ModelFormatException(path, name, "has no 'data_offsets' pair [begin, end]");
        var begin = ReadOffset(path, name, offsetsElement[0]);
        var end = ReadOffset(path, name, offsetsElement[1]);
        if (end < begin)
            throw new ModelFormatException(path, name, $"data_offsets [{begin}, {end}] end before they begin");
        if (end - begin != byteLength)
            throw new ModelFormatException(path, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {byteLength}");

        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var offset) || offset < 0)
            throw new ModelFormatException(path, name, $"data_offsets must be non-negative integers, found {element.GetRawText()}");
        return offset;
    }

    private static long CheckedMultiply(string path, string name, long left, long right)
    {
        try
        {
            return checked(left * right);
        }
        catch (OverflowException)
        {
            throw new ModelFormatException(path, name, "shape's byte size overflows 64 bits");
        }
    }
}
