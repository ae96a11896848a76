using Microsoft.Win32.SafeHandles;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>Random access to the bytes of a GGUF file, on disk or in memory. Callers keep reads within <see cref="Length"/>.</summary>
internal abstract class GgufByteSource : IDisposable
{
    public abstract long Length { get; }

    public abstract void Read(long offset, Span<byte> destination);

    public virtual void Dispose()
    {
    }

    public static GgufByteSource FromMemory(ReadOnlyMemory<byte> bytes) => new MemorySource(bytes);

    public static GgufByteSource FromFile(string path) => new FileSource(path);

    private sealed class MemorySource(ReadOnlyMemory<byte> bytes) : GgufByteSource
    {
        public override long Length => bytes.Length;

        public override void Read(long offset, Span<byte> destination) =>
            bytes.Span.Slice(checked((int)offset), destination.Length).CopyTo(destination);
    }

    /// <summary>Positional reads (pread) on one handle: thread-safe, and nothing is mapped that the file does not hold.</summary>
    private sealed class FileSource : GgufByteSource
    {
        private readonly SafeFileHandle handle;

        public FileSource(string path)
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
            Length = RandomAccess.GetLength(handle);
        }

        public override long Length { get; }

        public override void Read(long offset, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                var read = RandomAccess.Read(handle, destination, offset);
                if (read == 0) throw new EndOfStreamException($"file ended at offset {offset} (was it truncated while open?)");
                destination = destination[read..];
                offset += read;
            }
        }

        public override void Dispose() => handle.Dispose();
    }
}
