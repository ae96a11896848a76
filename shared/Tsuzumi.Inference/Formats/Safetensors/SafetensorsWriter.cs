using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>A tensor to write: float32 values (read on demand, one tensor at a time) stored as <paramref name="Dtype"/>.</summary>
/// <param name="Shape">PyTorch order; the values are row-major in it.</param>
public sealed record SafetensorsTensorToWrite(string Name, long[] Shape, SafetensorsDtype Dtype, Func<float[]> ReadFloat32)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => checked(product * dimension));

    public long ByteLength => checked(ElementCount * Dtype.Size());
}

/// <summary>
/// Writes safetensors files laid out as the reference implementation lays them out: tensors sorted by descending
/// dtype alignment then by name, <c>__metadata__</c> first in a compact JSON header, the header padded with spaces to
/// a multiple of 8 bytes so every tensor starts aligned.
/// </summary>
public static class SafetensorsWriter
{
    private static readonly JsonWriterOptions HeaderJsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and moves it into place, so a failure leaves nothing half-written.</summary>
    /// <exception cref="ArgumentException">A tensor's type is not F32/F16/BF16, a name repeats, or values do not match a shape.</exception>
    public static void Write(string path, IEnumerable<SafetensorsTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var fullPath = Path.GetFullPath(path);
        var temporaryPath = $"{fullPath}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Write(stream, tensors, metadata);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporaryPath)) File.Delete(temporaryPath);
        }
    }

    /// <summary>Serialises to a byte array (small files, tests).</summary>
    public static byte[] WriteToBytes(IEnumerable<SafetensorsTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Streams the file: header first, then each tensor's bytes as it is read.</summary>
    public static void Write(Stream stream, IEnumerable<SafetensorsTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors
            .OrderByDescending(tensor => tensor.Dtype)
            .ThenBy(tensor => tensor.Name, StringComparer.Ordinal)
            .ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in ordered)
        {
            if (tensor.Dtype is not (SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16))
                throw new ArgumentException($"{tensor.Name}: only F32, F16 and BF16 are written, not {tensor.Dtype}", nameof(tensors));
            if (tensor.Name == SafetensorsHeader.MetadataKey || !names.Add(tensor.Name))
                throw new ArgumentException($"tensor name '{tensor.Name}' is reserved or repeated", nameof(tensors));
        }

        var header = BuildHeader(ordered, metadata);
        Span<byte> lengthPrefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthPrefix, (ulong)header.Length);
        stream.Write(lengthPrefix);
        stream.Write(header);

        foreach (var tensor in ordered)
        {
            var values = tensor.ReadFloat32();
            if (values.LongLength != tensor.ElementCount)
                throw new ArgumentException(
                    $"{tensor.Name}: {values.LongLength} values do not fill shape [{string.Join(", ", tensor.Shape)}]", nameof(tensors));
            var buffer = new byte[Math.Min(tensor.ByteLength, 1 << 24)];
            var elementsPerChunk = buffer.Length / Math.Max(1, tensor.Dtype.Size());
            for (var first = 0; first < values.Length; first += elementsPerChunk)
            {
                var count = Math.Min(elementsPerChunk, values.Length - first);
                var bytes = buffer.AsSpan(0, count * tensor.Dtype.Size());
                FloatConversions.FromSingles(tensor.Dtype, values.AsSpan(first, count), bytes);
                stream.Write(bytes);
            }
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<SafetensorsTensorToWrite> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, HeaderJsonOptions))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in ordered)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.Dtype.ToString());
                writer.WriteStartArray("shape");
                foreach (var dimension in tensor.Shape)
                {
                    if (dimension < 0) throw new ArgumentException($"{tensor.Name}: negative dimension {dimension}");
                    writer.WriteNumberValue(dimension);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset += tensor.ByteLength;
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        var padding = (int)((8 - json.Length % 8) % 8);
        for (var i = 0; i < padding; i++) json.WriteByte((byte)' ');
        return json.ToArray();
    }
}
