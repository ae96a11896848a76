using System.Buffers.Binary;
using System.Text;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// Sequential little-endian reads over a <see cref="GgufByteSource"/> for the header, metadata and tensor table.
/// Every read first checks the bytes exist, so a corrupt length never leads to an allocation the file cannot back.
/// </summary>
internal sealed class GgufCursor(GgufByteSource source, string path)
{
    private const int BufferSize = 64 * 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] buffer = new byte[Math.Min(BufferSize, Math.Max(source.Length, 1))];
    private long bufferStart;
    private int bufferLength;

    public long Position { get; private set; }

    public long Remaining => source.Length - Position;

    public string Path => path;

    /// <summary>Throws unless <paramref name="count"/> more bytes exist.</summary>
    public void Require(ulong count, string? item, string what)
    {
        if (count > (ulong)Remaining)
            throw new ModelFormatException(path, item, $"truncated: {what} needs {count} bytes at offset {Position}, but the file has {Remaining} left");
    }

    public byte ReadUInt8(string? item, string what) => Take(1, item, what)[0];

    public ushort ReadUInt16(string? item, string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, item, what));

    public uint ReadUInt32(string? item, string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, item, what));

    public ulong ReadUInt64(string? item, string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, item, what));

    public float ReadFloat32(string? item, string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, item, what));

    public double ReadFloat64(string? item, string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, item, what));

    /// <summary>A GGUF string: uint64 byte length, then that many bytes of UTF-8 (no terminator).</summary>
    public string ReadString(string? item, string what)
    {
        var length = ReadUInt64(item, $"the length of {what}");
        Require(length, item, $"{what} ({length} bytes)");
        if (length > int.MaxValue) throw new ModelFormatException(path, item, $"{what} is {length} bytes long, more than a string can hold");
        var count = (int)length;
        try
        {
            if (count <= buffer.Length) return StrictUtf8.GetString(Take(count, item, what));
            var large = new byte[count];
            ReadInto(large, item, what);
            return StrictUtf8.GetString(large);
        }
        catch (DecoderFallbackException error)
        {
            throw new ModelFormatException(path, item, $"{what} is not valid UTF-8 (byte offset {error.Index})", error);
        }
    }

    /// <summary>Fills <paramref name="destination"/> from the current position.</summary>
    public void ReadInto(Span<byte> destination, string? item, string what)
    {
        Require((ulong)destination.Length, item, what);
        while (!destination.IsEmpty)
        {
            var chunk = Take(Math.Min(destination.Length, buffer.Length), item, what);
            chunk.CopyTo(destination);
            destination = destination[chunk.Length..];
        }
    }

    private ReadOnlySpan<byte> Take(int count, string? item, string what)
    {
        Require((ulong)count, item, what);
        var offsetInBuffer = Position - bufferStart;
        if (offsetInBuffer < 0 || offsetInBuffer + count > bufferLength)
        {
            bufferStart = Position;
            bufferLength = (int)Math.Min(buffer.Length, source.Length - Position);
            source.Read(bufferStart, buffer.AsSpan(0, bufferLength));
            offsetInBuffer = 0;
        }
        Position += count;
        return buffer.AsSpan((int)offsetInBuffer, count);
    }
}
