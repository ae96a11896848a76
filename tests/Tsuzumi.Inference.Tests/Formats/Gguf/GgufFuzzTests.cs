using System.Buffers.Binary;
using System.Diagnostics;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using static Tsuzumi.Inference.Tests.Formats.Gguf.GgufTestFiles;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

/// <summary>
/// Seeded mutations of the real stories260K.gguf: every case must load (and its tensors read or fail typed) or fail with
/// <see cref="ModelFormatException"/> — never another exception, a hang, or an allocation the file's size cannot justify.
/// </summary>
public sealed class GgufFuzzTests
{
    private const int Cases = 10_500;
    private const int HeaderRegion = 16 * 1024;

    [Fact]
    public void Mutated_stories260K_files_load_or_fail_with_ModelFormatException_only()
    {
        var original = File.ReadAllBytes(Stories260KPath);
        var lengthFields = LengthFields(original);
        var working = (byte[])original.Clone();
        var random = new Random(20261130);
        var failures = new List<string>();
        var (loaded, refused) = (0, 0);
        var maxAllocated = 0L;
        var clock = Stopwatch.StartNew();

        for (var index = 0; index < Cases && failures.Count < 5; index++)
        {
            var (memory, description) = (index % 3) switch
            {
                0 => FlipBytes(working, random),
                1 => Truncate(original, random),
                _ => HugeLength(working, lengthFields, random),
            };
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var file = GgufFile.Read(memory, "fuzz.gguf");
                foreach (var tensor in file.Tensors)
                {
                    try
                    {
                        file.ReadFloat32(tensor);
                    }
                    catch (ModelFormatException)
                    {
                    }
                }
                loaded++;
            }
            catch (ModelFormatException)
            {
                refused++;
            }
            catch (Exception error)
            {
                failures.Add($"case {index} ({description}): {error.GetType().Name}: {error.Message}");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            maxAllocated = Math.Max(maxAllocated, allocated);
            if (allocated > 3L * original.Length) failures.Add($"case {index} ({description}) allocated {allocated} bytes");
            original.AsSpan(0, HeaderRegion).CopyTo(working); // undo the mutation
        }

        Assert.Empty(failures);
        Assert.True(loaded > 0 && refused > 0, $"loaded {loaded}, refused {refused}: the mutations should produce both");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        TestContext.Current.SendDiagnosticMessage($"fuzz: {loaded} loaded, {refused} refused, max allocation {maxAllocated} bytes, {clock.Elapsed}");
    }

    private static (ReadOnlyMemory<byte>, string) FlipBytes(byte[] working, Random random)
    {
        var flips = random.Next(1, 9);
        for (var i = 0; i < flips; i++) working[random.Next(HeaderRegion)] ^= (byte)random.Next(1, 256);
        return (working, $"{flips} byte flips");
    }

    private static (ReadOnlyMemory<byte>, string) Truncate(byte[] original, Random random)
    {
        var length = random.Next(2) == 0 ? random.Next(HeaderRegion) : random.Next(original.Length);
        return (original.AsMemory(0, length), $"truncated to {length}");
    }

    private static readonly ulong[] HugeValues = [ulong.MaxValue, 1UL << 63, (1UL << 63) - 1, 1UL << 32, uint.MaxValue, 1UL << 40, 0x7FFF_FFFF, 0];

    private static (ReadOnlyMemory<byte>, string) HugeLength(byte[] working, List<(int Position, int Width)> fields, Random random)
    {
        var (position, width) = fields[random.Next(fields.Count)];
        var value = random.Next(4) == 0 ? (ulong)random.NextInt64(0, 1L << 40) : HugeValues[random.Next(HugeValues.Length)];
        if (width == 4) BinaryPrimitives.WriteUInt32LittleEndian(working.AsSpan(position), (uint)value);
        else BinaryPrimitives.WriteUInt64LittleEndian(working.AsSpan(position), value);
        return (working, $"field at {position} set to {value}");
    }

    /// <summary>Positions of every count, length, dimension and offset field in a well-formed file (a tiny walker of its own).</summary>
    private static List<(int Position, int Width)> LengthFields(byte[] bytes)
    {
        var fields = new List<(int, int)> { (8, 8), (16, 8) };
        var position = 24;
        ulong U64() { var v = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(position)); position += 8; return v; }
        uint U32() { var v = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position)); position += 4; return v; }
        void String() { fields.Add((position, 8)); var length = (int)U64(); position += length; }
        int Size(uint type) => type switch { 0 or 1 or 7 => 1, 2 or 3 => 2, 4 or 5 or 6 => 4, _ => 8 };

        var tensorCount = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8));
        var metadataCount = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        for (ulong i = 0; i < metadataCount; i++)
        {
            String();
            var type = U32();
            if (type == 8) String();
            else if (type == 9)
            {
                var elementType = U32();
                fields.Add((position, 8));
                var count = U64();
                for (ulong j = 0; j < count; j++)
                {
                    if (elementType == 8) String();
                    else position += Size(elementType);
                }
            }
            else position += Size(type);
        }
        for (ulong i = 0; i < tensorCount; i++)
        {
            String();
            fields.Add((position, 4));
            var dimensions = U32();
            for (var axis = 0; axis < dimensions; axis++) fields.Add((position + 8 * axis, 8));
            position += 8 * (int)dimensions;
            fields.Add((position, 4)); // type
            position += 4;
            fields.Add((position, 8)); // offset
            position += 8;
        }
        Assert.True(position <= HeaderRegion, "the walker should end inside the header region");
        return fields;
    }
}
