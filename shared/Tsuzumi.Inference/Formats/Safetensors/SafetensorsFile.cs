using System.Buffers.Binary;
using System.IO.Hashing;

namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>
/// A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header, then the data
/// section. The whole header is validated on open (see <see cref="SafetensorsHeader.Parse"/>); tensor bytes are only
/// touched when read. Files are memory-mapped, so opening a multi-gigabyte shard costs no memory.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private const int LengthPrefixBytes = 8;

    /// <summary>Bytes converted per step when decoding, so a spans' int length never limits a tensor's size.</summary>
    private const int ChunkBytes = 1 << 26;

    private readonly SafetensorsStorage storage;
    private readonly long dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> byName;

    private SafetensorsFile(string path, SafetensorsStorage storage)
    {
        Path = path;
        this.storage = storage;
        try
        {
            var length = storage.Length;
            if (length < LengthPrefixBytes)
                throw new ModelFormatException(path, null, $"file is {length} bytes, too short for the 8-byte header length");
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(storage.Slice(0, LengthPrefixBytes));
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw new ModelFormatException(path, null, $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
            if ((long)headerLength > length - LengthPrefixBytes)
                throw new ModelFormatException(path, null, $"header length {headerLength} runs past the end of the {length}-byte file");

            dataStart = LengthPrefixBytes + (long)headerLength;
            var header = SafetensorsHeader.Parse(path, storage.Slice(LengthPrefixBytes, (int)headerLength), length - dataStart);
            Metadata = header.Metadata;
            Tensors = header.Tensors;
            byName = Tensors.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    /// <summary>Memory-maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is malformed.</exception>
    public static SafetensorsFile Open(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new ModelFormatException(fullPath, null, "file not found");
        return new SafetensorsFile(fullPath, SafetensorsStorage.MapFile(fullPath));
    }

    /// <summary>Validates an in-memory file; <paramref name="displayName"/> stands in for the path in errors.</summary>
    public static SafetensorsFile FromBytes(byte[] bytes, string displayName = "<memory>") =>
        new(displayName, SafetensorsStorage.FromBytes(bytes));

    public string Path { get; }

    /// <summary>The header's <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in data-offset order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    public bool Contains(string name) => byName.ContainsKey(name);

    /// <exception cref="ModelFormatException">No tensor has that name.</exception>
    public SafetensorsTensorInfo GetTensor(string name) =>
        byName.TryGetValue(name, out var tensor) ? tensor : throw new ModelFormatException(Path, name, "no such tensor in the file");

    /// <summary>Decodes an F32, F16, BF16 or F64 tensor to float32, row-major in <see cref="SafetensorsTensorInfo.Shape"/>.</summary>
    /// <exception cref="ModelFormatException">The tensor is missing, of another type, or too large for one array.</exception>
    public float[] ReadFloat32(string name)
    {
        var tensor = GetTensor(name);
        if (!tensor.Dtype.IsReadableAsFloat32())
            throw new ModelFormatException(Path, name, $"dtype {tensor.Dtype} cannot be read as float32 (only F32, F16, BF16, F64)");
        var elementCount = tensor.ElementCount;
        if (elementCount > Array.MaxLength)
            throw new ModelFormatException(Path, name, $"{elementCount} elements are more than one array can hold");

        var result = new float[elementCount];
        Decode(tensor, result);
        return result;
    }

    /// <summary>
    /// Decodes an F32, F16, BF16 or F64 tensor to float32 straight into <paramref name="destination"/> (which holds
    /// exactly its elements), with no intermediate array: one pass over the mapped bytes.
    /// </summary>
    /// <exception cref="ModelFormatException">The tensor is missing or of another type.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not the tensor's element count.</exception>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var tensor = GetTensor(name);
        if (!tensor.Dtype.IsReadableAsFloat32())
            throw new ModelFormatException(Path, name, $"dtype {tensor.Dtype} cannot be read as float32 (only F32, F16, BF16, F64)");
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"{destination.Length} floats for {tensor.ElementCount} elements of '{name}'", nameof(destination));
        Decode(tensor, destination);
    }

    /// <summary>Total size of the file in bytes.</summary>
    public long Length => storage.Length;

    /// <summary>Offset of the data section (after the length prefix and the JSON header); tensor offsets count from here.</summary>
    public long DataStart => dataStart;

    /// <summary>
    /// Feeds the file's raw bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) to
    /// <paramref name="hash"/>, from the mapped view (no read into a buffer). Hashing consecutive ranges that cover the
    /// file equals hashing the whole file.
    /// </summary>
    public void AppendTo(NonCryptographicHashAlgorithm hash, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, storage.Length - offset);
        for (long done = 0; done < length; done += ChunkBytes)
            hash.Append(storage.Slice(offset + done, (int)Math.Min(ChunkBytes, length - done)));
    }

    private void Decode(SafetensorsTensorInfo tensor, Span<float> result)
    {
        var elementCount = result.Length;
        var elementSize = tensor.Dtype.Size();
        var elementsPerChunk = ChunkBytes / elementSize;
        for (var first = 0; first < elementCount; first += elementsPerChunk)
        {
            var count = Math.Min(elementsPerChunk, elementCount - first);
            var bytes = storage.Slice(dataStart + tensor.DataBegin + (long)first * elementSize, count * elementSize);
            FloatConversions.ToSingles(tensor.Dtype, bytes, result.Slice(first, count));
        }
    }

    /// <summary>Copies a tensor's stored bytes (any dtype, little-endian as on disk).</summary>
    public byte[] ReadBytes(string name)
    {
        var tensor = GetTensor(name);
        if (tensor.ByteLength > Array.MaxLength)
            throw new ModelFormatException(Path, name, $"{tensor.ByteLength} bytes are more than one array can hold");
        var result = new byte[tensor.ByteLength];
        for (long first = 0; first < result.Length; first += ChunkBytes)
        {
            var count = (int)Math.Min(ChunkBytes, result.Length - first);
            storage.Slice(dataStart + tensor.DataBegin + first, count).CopyTo(result.AsSpan((int)first, count));
        }
        return result;
    }

    public void Dispose() => storage.Dispose();
}
