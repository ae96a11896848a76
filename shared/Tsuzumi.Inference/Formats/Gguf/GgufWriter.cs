using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// Writes a GGUF v3 file: header, metadata, tensor table, then each tensor's data at the next multiple of the alignment.
/// Tensor data is produced lazily at write time, so a large model is encoded one tensor at a time.
/// </summary>
public sealed class GgufWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<KeyValuePair<string, GgufValue>> metadata = [];
    private readonly List<PendingTensor> tensors = [];
    private readonly HashSet<string> keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> tensorNames = new(StringComparer.Ordinal);

    /// <param name="alignment">Data alignment; anything but the default 32 is recorded as <c>general.alignment</c>.</param>
    public GgufWriter(int alignment = GgufFile.DefaultAlignment)
    {
        if (alignment <= 0 || !BitOperations.IsPow2(alignment)) throw new ArgumentException($"alignment must be a power of two, was {alignment}");
        Alignment = alignment;
        if (alignment != GgufFile.DefaultAlignment) AddMetadata(GgufFile.AlignmentKey, GgufValue.UInt32((uint)alignment));
    }

    public int Alignment { get; }

    public void AddMetadata(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (key == GgufFile.AlignmentKey && !(value.Value is uint given && given == Alignment))
            throw new ArgumentException($"{GgufFile.AlignmentKey} is set through the constructor's alignment");
        if (!keys.Add(key)) throw new ArgumentException($"metadata key '{key}' was already added");
        metadata.Add(new(key, value));
    }

    /// <summary>Adds a tensor whose values are encoded as <paramref name="type"/> when the file is written.</summary>
    /// <param name="ggmlDimensions">GGML order (ne[0], the contiguous axis, first): a PyTorch shape reversed.</param>
    public void AddTensor(string name, long[] ggmlDimensions, GgufTensorType type, Func<float[]> values)
    {
        if (!GgufQuantizer.Supports(type)) throw new ArgumentException($"cannot encode {type} tensors");
        var elementCount = CheckTensor(name, ggmlDimensions, type);
        tensors.Add(new PendingTensor(name, ggmlDimensions.ToArray(), type, GgufTensorTypes.ByteCount(type, elementCount), () =>
        {
            var data = values();
            if (data.LongLength != elementCount) throw new ArgumentException($"tensor '{name}' produced {data.LongLength} values, its shape needs {elementCount}");
            return GgufQuantizer.Quantize(type, data);
        }));
    }

    public void AddTensor(string name, long[] ggmlDimensions, GgufTensorType type, float[] values) =>
        AddTensor(name, ggmlDimensions, type, () => values);

    /// <summary>Adds a tensor from bytes already encoded as <paramref name="type"/> (any GGML type, copied verbatim).</summary>
    public void AddRawTensor(string name, long[] ggmlDimensions, GgufTensorType type, byte[] data)
    {
        var elementCount = CheckTensor(name, ggmlDimensions, type);
        var byteCount = GgufTensorTypes.ByteCount(type, elementCount);
        if (data.LongLength != byteCount) throw new ArgumentException($"tensor '{name}' has {data.LongLength} bytes, {type} {string.Join("x", ggmlDimensions)} needs {byteCount}");
        tensors.Add(new PendingTensor(name, ggmlDimensions.ToArray(), type, byteCount, () => data));
    }

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and moves it into place, so a failure leaves nothing half-written.</summary>
    public void WriteTo(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var temporaryPath = $"{fullPath}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporaryPath)) File.Delete(temporaryPath);
        }
    }

    public void WriteTo(Stream stream)
    {
        // The header goes through memory first, so its length (where padding starts) is known without a seekable stream.
        using var headerBytes = new MemoryStream();
        var output = new BinaryWriter(headerBytes, StrictUtf8, leaveOpen: true);
        output.Write(GgufFile.Magic);
        output.Write(3u);
        output.Write((ulong)tensors.Count);
        output.Write((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(output, key);
            output.Write((uint)value.Type);
            WriteValue(output, value);
        }

        var offsets = new long[tensors.Count];
        long dataSize = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            offsets[i] = dataSize;
            dataSize = GgufFile.AlignUp(dataSize + tensors[i].ByteCount, Alignment);
        }
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            WriteString(output, tensor.Name);
            output.Write((uint)tensor.Dimensions.Length);
            foreach (var dimension in tensor.Dimensions) output.Write((ulong)dimension);
            output.Write((uint)tensor.Type);
            output.Write((ulong)offsets[i]);
        }

        output.Flush();
        headerBytes.Position = 0;
        headerBytes.CopyTo(stream);
        var position = headerBytes.Length;
        output = new BinaryWriter(stream, StrictUtf8, leaveOpen: true);
        Pad(output, ref position);
        foreach (var tensor in tensors)
        {
            var data = tensor.Encode();
            output.Write(data);
            position += data.Length;
            Pad(output, ref position);
        }
        output.Flush();
    }

    private long CheckTensor(string name, long[] ggmlDimensions, GgufTensorType type)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (ggmlDimensions.Length is 0 or > GgufFile.MaxDimensions || ggmlDimensions.Any(dimension => dimension <= 0))
            throw new ArgumentException($"tensor '{name}' has dimensions [{string.Join(", ", ggmlDimensions)}]; 1 to {GgufFile.MaxDimensions} positive ones are allowed");
        if (ggmlDimensions[0] % GgufTensorTypes.BlockSize(type) != 0)
            throw new ArgumentException($"tensor '{name}': first dimension {ggmlDimensions[0]} is not a multiple of the {type} block size {GgufTensorTypes.BlockSize(type)}");
        if (!tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' was already added");
        return ggmlDimensions.Aggregate(1L, (product, dimension) => checked(product * dimension));
    }

    private void Pad(BinaryWriter output, ref long position)
    {
        var padding = (int)(GgufFile.AlignUp(position, Alignment) - position);
        for (var i = 0; i < padding; i++) output.Write((byte)0);
        position += padding;
    }

    private static void WriteString(BinaryWriter output, string text)
    {
        var bytes = StrictUtf8.GetBytes(text);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
    }

    private static void WriteValue(BinaryWriter output, GgufValue value)
    {
        switch (value.Value)
        {
            case byte v: output.Write(v); break;
            case sbyte v: output.Write(v); break;
            case ushort v: output.Write(v); break;
            case short v: output.Write(v); break;
            case uint v: output.Write(v); break;
            case int v: output.Write(v); break;
            case float v: output.Write(v); break;
            case bool v: output.Write(v ? (byte)1 : (byte)0); break;
            case string v: WriteString(output, v); break;
            case ulong v: output.Write(v); break;
            case long v: output.Write(v); break;
            case double v: output.Write(v); break;
            case Array items:
                output.Write((uint)value.ElementType!.Value);
                output.Write((ulong)items.Length);
                WriteArrayItems(output, items);
                break;
        }
    }

    private static void WriteArrayItems(BinaryWriter output, Array items)
    {
        switch (items)
        {
            case string[] texts: foreach (var text in texts) WriteString(output, text); break;
            case GgufValue[] nested: foreach (var inner in nested) WriteValue(output, inner); break;
            case bool[] flags: foreach (var flag in flags) output.Write(flag ? (byte)1 : (byte)0); break;
            case byte[] v: output.Write(v); break;
            case sbyte[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case ushort[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case short[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case uint[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case int[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case float[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case ulong[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case long[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
            case double[] v: output.Write(MemoryMarshal.AsBytes(v.AsSpan())); break;
        }
    }

    private sealed record PendingTensor(string Name, long[] Dimensions, GgufTensorType Type, long ByteCount, Func<byte[]> Encode);
}
