using System.Buffers;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// A GGUF (v2/v3, little-endian) file: its metadata and tensor table are parsed and validated on open; tensor data is
/// read on demand. Every defect of the bytes surfaces as a <see cref="ModelFormatException"/> naming the key or tensor.
/// </summary>
public sealed class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const int DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";
    public const int MaxDimensions = 4;

    /// <summary>Deeper arrays of arrays than this are refused, so corrupt nesting cannot exhaust the stack.</summary>
    private const int MaxArrayNesting = 8;

    /// <summary>Smallest encodings, used to bound counts by the bytes left before anything is allocated.</summary>
    private const int MinMetadataEntryBytes = 8 + 4 + 1;   // empty key, type, one-byte value
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // empty name, n_dims, one dim, type, offset

    private readonly GgufByteSource source;
    private readonly Dictionary<string, GgufTensorInfo> tensorsByName;

    private GgufFile(GgufByteSource source, string path)
    {
        this.source = source;
        Path = path;
        var cursor = new GgufCursor(source, path);

        var magic = cursor.ReadUInt32("header", "the magic number");
        if (magic != Magic)
            throw new ModelFormatException(path, "header", $"not a GGUF file: magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\")");
        Version = cursor.ReadUInt32("header", "the version");
        if (Version is not (2 or 3))
            throw new ModelFormatException(path, "header", $"GGUF version {Version} is not supported (supported: 2, 3)");
        var tensorCount = cursor.ReadUInt64("header", "the tensor count");
        var metadataCount = cursor.ReadUInt64("header", "the metadata count");
        RequireCountFits(cursor, metadataCount, MinMetadataEntryBytes, "header", "metadata entries");
        RequireCountFits(cursor, tensorCount, MinTensorInfoBytes, "header", "tensor infos");

        var metadata = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        var metadataOrder = new List<string>();
        for (ulong index = 0; index < metadataCount; index++)
        {
            var key = cursor.ReadString($"metadata entry #{index}", "the key");
            var type = cursor.ReadUInt32(key, "the value type");
            var value = ReadValue(cursor, key, type, depth: 0);
            if (!metadata.TryAdd(key, value)) throw new ModelFormatException(path, key, "duplicate metadata key");
            metadataOrder.Add(key);
        }
        Metadata = metadata;
        MetadataKeys = metadataOrder;
        Alignment = ReadAlignment(metadata);

        RequireCountFits(cursor, tensorCount, MinTensorInfoBytes, "header", "tensor infos");
        var tensors = new List<GgufTensorInfo>();
        tensorsByName = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        for (ulong index = 0; index < tensorCount; index++)
        {
            var info = ReadTensorInfo(cursor, index);
            if (!tensorsByName.TryAdd(info.Name, info)) throw new ModelFormatException(path, info.Name, "duplicate tensor name");
            tensors.Add(info);
        }
        Tensors = tensors;

        // The data section starts at the next multiple of the alignment after the tensor table.
        DataOffset = AlignUp(cursor.Position, Alignment);
        var dataBytes = Math.Max(0, source.Length - DataOffset);
        foreach (var info in tensors)
        {
            if (info.Offset > dataBytes || info.ByteCount > dataBytes - info.Offset)
                throw new ModelFormatException(path, info.Name,
                    $"data [{info.Offset}, +{info.ByteCount}) lies outside the data section of {dataBytes} bytes (file truncated or offset corrupt)");
        }
    }

    /// <summary>The file path, or the name given to an in-memory file; used in every error message.</summary>
    public string Path { get; }

    public uint Version { get; }

    public int Alignment { get; }

    /// <summary>Absolute file offset of the tensor data section.</summary>
    public long DataOffset { get; }

    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>Metadata keys in file order.</summary>
    public IReadOnlyList<string> MetadataKeys { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public static GgufFile Open(string path)
    {
        var source = GgufByteSource.FromFile(path);
        try
        {
            return new GgufFile(source, path);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Reads a GGUF image held in memory; <paramref name="name"/> stands in for the path in errors.</summary>
    public static GgufFile Read(ReadOnlyMemory<byte> bytes, string name = "<memory>") => new(GgufByteSource.FromMemory(bytes), name);

    /// <summary>Reads a whole GGUF image from a stream into memory (files over 2 GiB should be opened by path instead).</summary>
    public static GgufFile Read(Stream stream, string name = "<stream>")
    {
        if (stream.CanSeek && stream.Length - stream.Position > Array.MaxLength)
            throw new ModelFormatException(name, null, "too large to read into memory; open it by path");
        using var copy = stream.CanSeek ? new MemoryStream((int)(stream.Length - stream.Position)) : new MemoryStream();
        stream.CopyTo(copy);
        return Read(copy.GetBuffer().AsMemory(0, (int)copy.Length), name);
    }

    public bool TryGetTensor(string name, out GgufTensorInfo info) => tensorsByName.TryGetValue(name, out info!);

    public GgufTensorInfo GetTensor(string name) =>
        tensorsByName.TryGetValue(name, out var info) ? info : throw new ModelFormatException(Path, name, "no such tensor in the file");

    /// <summary>The metadata value, or a <see cref="ModelFormatException"/> naming the missing key.</summary>
    public GgufValue GetMetadata(string key) =>
        Metadata.TryGetValue(key, out var value) ? value : throw new ModelFormatException(Path, key, "required metadata key is missing");

    /// <summary>The tensor's bytes exactly as stored.</summary>
    public byte[] ReadRaw(GgufTensorInfo info)
    {
        if (info.ByteCount > Array.MaxLength) throw new ModelFormatException(Path, info.Name, $"{info.ByteCount} bytes is too large to read as one array");
        var bytes = new byte[info.ByteCount];
        source.Read(DataOffset + info.Offset, bytes);
        return bytes;
    }

    /// <summary>The tensor's values as float32, dequantised as ggml does; GGML order (ne[0] fastest) = row-major PyTorch order.</summary>
    public float[] ReadFloat32(GgufTensorInfo info)
    {
        RequireReadableAsFloat32(info);
        var values = new float[info.ElementCount];
        ReadFloat32(info, values);
        return values;
    }

    /// <summary>
    /// Dequantises the tensor straight into <paramref name="destination"/> (exactly its elements), a few MiB of raw
    /// blocks at a time; each raw chunk is fed to <paramref name="hash"/> while in cache, so a loader that reads its
    /// tensors in data order hashes the file in the same pass.
    /// </summary>
    /// <exception cref="ModelFormatException">The tensor's type cannot be dequantised, or it is too large for one array.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not the tensor's element count.</exception>
    public void ReadFloat32(GgufTensorInfo info, Span<float> destination, FileHashCursor? hash = null)
    {
        RequireReadableAsFloat32(info);
        if (destination.Length != info.ElementCount)
            throw new ArgumentException($"{destination.Length} floats for {info.ElementCount} elements of '{info.Name}'", nameof(destination));

        var blockSize = GgufTensorTypes.BlockSize(info.Type);
        var blockBytes = GgufTensorTypes.BlockBytes(info.Type);
        // Read a few MiB of whole blocks at a time, so a large tensor needs no second full-size buffer.
        var blocksPerChunk = Math.Max(1, (4 << 20) / blockBytes);
        var totalBlocks = info.ElementCount / blockSize;
        var chunk = ArrayPool<byte>.Shared.Rent((int)Math.Min(totalBlocks, blocksPerChunk) * blockBytes);
        try
        {
            for (long block = 0; block < totalBlocks; block += blocksPerChunk)
            {
                var blocks = (int)Math.Min(blocksPerChunk, totalBlocks - block);
                var raw = chunk.AsSpan(0, blocks * blockBytes);
                var offset = DataOffset + info.Offset + block * blockBytes;
                source.Read(offset, raw);
                hash?.Append(offset, raw);
                GgufDequantizer.Dequantize(info.Type, raw, destination.Slice((int)(block * blockSize), blocks * blockSize));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Refuses, naming the tensor, what <see cref="ReadFloat32(GgufTensorInfo)"/> cannot read: call it before allocating the destination.</summary>
    /// <exception cref="ModelFormatException">The tensor's type cannot be dequantised, or it is too large for one array.</exception>
    public void RequireReadableAsFloat32(GgufTensorInfo info)
    {
        if (!GgufDequantizer.Supports(info.Type))
            throw new ModelFormatException(Path, info.Name,
                $"tensor {info.Name} has type {info.Type}, which is not supported (supported: {string.Join(", ", GgufTensorTypes.Dequantizable)})");
        if (info.ElementCount > Array.MaxLength)
            throw new ModelFormatException(Path, info.Name, $"{info.ElementCount} elements is too many to read as one float32 array");
    }

    /// <summary>Total size of the file (or in-memory image) in bytes.</summary>
    public long Length => source.Length;

    /// <summary>
    /// Feeds the file's raw bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) to
    /// <paramref name="hash"/>, a few MiB at a time. Hashing consecutive ranges that cover the file equals hashing the whole file.
    /// </summary>
    public void AppendTo(NonCryptographicHashAlgorithm hash, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, source.Length - offset);
        const int chunkBytes = 4 << 20;
        var chunk = ArrayPool<byte>.Shared.Rent((int)Math.Min(chunkBytes, Math.Max(1, length)));
        try
        {
            for (long done = 0; done < length; done += chunkBytes)
            {
                var raw = chunk.AsSpan(0, (int)Math.Min(chunkBytes, length - done));
                source.Read(offset + done, raw);
                hash.Append(raw);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public float[] ReadFloat32(string tensorName) => ReadFloat32(GetTensor(tensorName));

    public void Dispose() => source.Dispose();

    internal static long AlignUp(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private void RequireCountFits(GgufCursor cursor, ulong count, int minimumBytesEach, string item, string what)
    {
        if (count > (ulong)cursor.Remaining / (ulong)minimumBytesEach)
            throw new ModelFormatException(Path, item, $"{count} {what} cannot fit in the {cursor.Remaining} bytes left in the file");
    }

    private GgufValue ReadValue(GgufCursor cursor, string key, uint type, int depth)
    {
        const string what = "the value";
        return (GgufValueType)type switch
        {
            GgufValueType.UInt8 => GgufValue.UInt8(cursor.ReadUInt8(key, what)),
            GgufValueType.Int8 => GgufValue.Int8((sbyte)cursor.ReadUInt8(key, what)),
            GgufValueType.UInt16 => GgufValue.UInt16(cursor.ReadUInt16(key, what)),
            GgufValueType.Int16 => GgufValue.Int16((short)cursor.ReadUInt16(key, what)),
            GgufValueType.UInt32 => GgufValue.UInt32(cursor.ReadUInt32(key, what)),
            GgufValueType.Int32 => GgufValue.Int32((int)cursor.ReadUInt32(key, what)),
            GgufValueType.Float32 => GgufValue.Float32(cursor.ReadFloat32(key, what)),
            GgufValueType.Bool => GgufValue.Bool(ReadBool(cursor, key)),
            GgufValueType.String => GgufValue.String(cursor.ReadString(key, what)),
            GgufValueType.UInt64 => GgufValue.UInt64(cursor.ReadUInt64(key, what)),
            GgufValueType.Int64 => GgufValue.Int64((long)cursor.ReadUInt64(key, what)),
            GgufValueType.Float64 => GgufValue.Float64(cursor.ReadFloat64(key, what)),
            GgufValueType.Array => ReadArray(cursor, key, depth),
            _ => throw new ModelFormatException(Path, key, $"unknown value type {type}"),
        };
    }

    private bool ReadBool(GgufCursor cursor, string key) => cursor.ReadUInt8(key, "a bool") switch
    {
        0 => false,
        1 => true,
        var other => throw new ModelFormatException(Path, key, $"bool value is {other}, not 0 or 1"),
    };

    private GgufValue ReadArray(GgufCursor cursor, string key, int depth)
    {
        if (depth >= MaxArrayNesting) throw new ModelFormatException(Path, key, $"arrays nested deeper than {MaxArrayNesting}");
        var elementTypeId = cursor.ReadUInt32(key, "the array element type");
        var count = cursor.ReadUInt64(key, "the array length");
        var elementType = (GgufValueType)elementTypeId;
        var minimumBytes = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.String => 8,
            GgufValueType.Array => 4 + 8,
            _ => throw new ModelFormatException(Path, key, $"unknown array element type {elementTypeId}"),
        };
        if (count > (ulong)cursor.Remaining / (ulong)minimumBytes)
            throw new ModelFormatException(Path, key, $"array of {count} {elementType} values cannot fit in the {cursor.Remaining} bytes left in the file");
        if (count > (ulong)Array.MaxLength) throw new ModelFormatException(Path, key, $"array of {count} values is longer than .NET arrays allow");
        var length = (int)count;

        switch (elementType)
        {
            case GgufValueType.UInt8: return GgufValue.Array(ReadPrimitives<byte>(cursor, key, length));
            case GgufValueType.Int8: return GgufValue.Array(ReadPrimitives<sbyte>(cursor, key, length));
            case GgufValueType.UInt16: return GgufValue.Array(ReadPrimitives<ushort>(cursor, key, length));
            case GgufValueType.Int16: return GgufValue.Array(ReadPrimitives<short>(cursor, key, length));
            case GgufValueType.UInt32: return GgufValue.Array(ReadPrimitives<uint>(cursor, key, length));
            case GgufValueType.Int32: return GgufValue.Array(ReadPrimitives<int>(cursor, key, length));
            case GgufValueType.Float32: return GgufValue.Array(ReadPrimitives<float>(cursor, key, length));
            case GgufValueType.UInt64: return GgufValue.Array(ReadPrimitives<ulong>(cursor, key, length));
            case GgufValueType.Int64: return GgufValue.Array(ReadPrimitives<long>(cursor, key, length));
            case GgufValueType.Float64: return GgufValue.Array(ReadPrimitives<double>(cursor, key, length));
            case GgufValueType.Bool:
            {
                var flags = new bool[length];
                for (var i = 0; i < length; i++) flags[i] = ReadBool(cursor, key);
                return GgufValue.Array(flags);
            }
            case GgufValueType.String:
            {
                var strings = new string[length];
                for (var i = 0; i < length; i++) strings[i] = cursor.ReadString(key, $"string #{i} of the array");
                return GgufValue.Array(strings);
            }
            default:
            {
                var nested = new GgufValue[length];
                for (var i = 0; i < length; i++) nested[i] = ReadArray(cursor, key, depth + 1);
                return GgufValue.Array(nested);
            }
        }
    }

    /// <summary>A little-endian run of fixed-size numbers copied straight into a typed array (hosts are little-endian).</summary>
    private static T[] ReadPrimitives<T>(GgufCursor cursor, string key, int length) where T : unmanaged
    {
        var items = new T[length];
        cursor.ReadInto(MemoryMarshal.AsBytes(items.AsSpan()), key, $"an array of {length} {typeof(T).Name}");
        return items;
    }

    private int ReadAlignment(Dictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue(AlignmentKey, out var value)) return DefaultAlignment;
        if (value.Value is not uint alignment)
            throw new ModelFormatException(Path, AlignmentKey, $"must be a UInt32, was {value}");
        if (alignment == 0 || !BitOperations.IsPow2(alignment) || alignment > 1 << 30)
            throw new ModelFormatException(Path, AlignmentKey, $"must be a power of two, was {alignment}");
        return (int)alignment;
    }

    private GgufTensorInfo ReadTensorInfo(GgufCursor cursor, ulong index)
    {
        var name = cursor.ReadString($"tensor #{index}", "the tensor name");
        var dimensionCount = cursor.ReadUInt32(name, "the dimension count");
        if (dimensionCount is 0 or > MaxDimensions)
            throw new ModelFormatException(Path, name, $"has {dimensionCount} dimensions (1 to {MaxDimensions} are allowed)");
        var dimensions = new long[dimensionCount];
        long elementCount = 1;
        for (var axis = 0; axis < dimensionCount; axis++)
        {
            var dimension = cursor.ReadUInt64(name, $"dimension {axis}");
            // Any real dimension is far below 2^62; the product check below catches the rest.
            if (dimension == 0 || dimension > long.MaxValue)
                throw new ModelFormatException(Path, name, $"dimension {axis} is {dimension}");
            dimensions[axis] = (long)dimension;
            if (elementCount > long.MaxValue / dimensions[axis])
                throw new ModelFormatException(Path, name, $"dimensions [{string.Join(", ", dimensions.Take(axis + 1))}] overflow a 64-bit element count");
            elementCount *= dimensions[axis];
        }

        var typeId = cursor.ReadUInt32(name, "the tensor type");
        var type = (GgufTensorType)typeId;
        if (!GgufTensorTypes.IsKnown(type)) throw new ModelFormatException(Path, name, $"unknown tensor type id {typeId}");
        var blockSize = GgufTensorTypes.BlockSize(type);
        if (dimensions[0] % blockSize != 0)
            throw new ModelFormatException(Path, name, $"first dimension {dimensions[0]} is not a multiple of the {type} block size {blockSize}");
        var blocks = elementCount / blockSize;
        var blockBytes = GgufTensorTypes.BlockBytes(type);
        if (blocks > long.MaxValue / blockBytes)
            throw new ModelFormatException(Path, name, $"{elementCount} {type} elements overflow a 64-bit byte count");

        var offset = cursor.ReadUInt64(name, "the data offset");
        if (offset > long.MaxValue || offset % (ulong)Alignment != 0)
            throw new ModelFormatException(Path, name, $"data offset {offset} is not a multiple of the alignment {Alignment}");
        return new GgufTensorInfo(name, dimensions, type, (long)offset, blocks * blockBytes);
    }
}
