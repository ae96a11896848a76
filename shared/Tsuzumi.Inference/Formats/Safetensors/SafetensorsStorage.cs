using System.IO.MemoryMappedFiles;

namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>The bytes of a safetensors file: a memory map for files on disk, or a byte array (tests, fuzzing).</summary>
internal abstract class SafetensorsStorage : IDisposable
{
    public abstract long Length { get; }

    /// <summary>A view of [offset, offset + length); callers have checked the range against <see cref="Length"/>.</summary>
    public abstract ReadOnlySpan<byte> Slice(long offset, int length);

    public virtual void Dispose() { }

    public static SafetensorsStorage FromBytes(byte[] bytes) => new ArrayStorage(bytes);

    /// <summary>Maps the file read-only; an empty file cannot be mapped, so it is held as an empty array instead.</summary>
    public static SafetensorsStorage MapFile(string path)
    {
        var length = new FileInfo(path).Length;
        if (length == 0) return new ArrayStorage([]);
        return new MappedStorage(path, length);
    }

    private sealed class ArrayStorage(byte[] bytes) : SafetensorsStorage
    {
        public override long Length => bytes.Length;

        public override ReadOnlySpan<byte> Slice(long offset, int length) => bytes.AsSpan(checked((int)offset), length);
    }

    private sealed unsafe class MappedStorage : SafetensorsStorage
    {
        private readonly MemoryMappedFile map;
        private readonly MemoryMappedViewAccessor view;
        private readonly byte* start;
        private int disposed;

        public MappedStorage(string path, long length)
        {
            Length = length;
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            start = pointer + view.PointerOffset;
        }

        public override long Length { get; }

        public override ReadOnlySpan<byte> Slice(long offset, int length)
        {
            ObjectDisposedException.ThrowIf(disposed != 0, this);
            return new ReadOnlySpan<byte>(start + offset, length);
        }

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            map.Dispose();
        }
    }
}
