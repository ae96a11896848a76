using System.IO.Hashing;

namespace Tsuzumi.Inference.Formats;

/// <summary>
/// A file's hash built while a loader reads the file once, in data order: the loader feeds the bytes it reads anyway
/// (tensor data, while still in cache), and the bytes it skips (header, padding, unreferenced data, the tail) are fed
/// from the file in between. Bytes fed twice count once, so the result equals hashing the whole file front to back,
/// whatever the layout.
/// </summary>
/// <param name="appendFromFile">Feeds the file's bytes [offset, offset + length) to the hash.</param>
public sealed class FileHashCursor(NonCryptographicHashAlgorithm hash, long fileLength, Action<NonCryptographicHashAlgorithm, long, long> appendFromFile)
{
    /// <summary>Every byte before this offset has been hashed, once and in order.</summary>
    public long Position { get; private set; }

    /// <summary>Hashes the file's bytes from <see cref="Position"/> up to <paramref name="offset"/> (nothing when already past it).</summary>
    public void CoverTo(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, fileLength);
        if (offset <= Position) return;
        appendFromFile(hash, Position, offset - Position);
        Position = offset;
    }

    /// <summary>
    /// <paramref name="bytes"/>, read from the file at <paramref name="offset"/>: the bytes skipped before them are
    /// hashed from the file, then the part of them not hashed yet.
    /// </summary>
    public void Append(long offset, ReadOnlySpan<byte> bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var end = offset + bytes.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, fileLength);
        CoverTo(offset);
        if (end <= Position) return;
        hash.Append(bytes[(int)(Position - offset)..]);
        Position = end;
    }

    /// <summary>Hashes the rest of the file.</summary>
    public void CoverToEnd() => CoverTo(fileLength);
}
