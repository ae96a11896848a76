using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Safetensors;

namespace Tsuzumi.Inference.Tests.Formats.Safetensors;

/// <summary>
/// Seeded mutations of a valid file's header, read from memory. Each must either read cleanly (and then every
/// tensor reads or fails with <see cref="ModelFormatException"/>) or fail with <see cref="ModelFormatException"/>,
/// quickly, without allocating more than a small multiple of the input: a header cannot make the reader trust a size.
/// </summary>
public sealed partial class SafetensorsFuzzTests
{
    private const int Cases = 12_000;

    /// <summary>Generous against JSON parsing overhead, yet far below what any claimed shape or offset could ask for.</summary>
    private const long AllocationSlackBytes = 64 * 1024;
    private const int AllocationPerInputByte = 32;

    private static readonly string[] HostileNumbers =
        ["-1", "0", "1.5", "1e3", "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551615", "99999999999999999999999", "1"];

    private static readonly string[] HostileDtypes = ["F32", "F16", "BF16", "I64", "U8", "BOOL", "F64", "f32", "Q4_0", ""];

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Numbers();

    [GeneratedRegex("\"(F32|F16|BF16|I64)\"")]
    private static partial Regex Dtypes();

    private static byte[] BuildValidFile()
    {
        var random = new Random(20240601);
        float[] Values(long count) => Enumerable.Range(0, (int)count).Select(_ => (float)random.NextDouble()).ToArray();
        var bytes = SafetensorsWriter.WriteToBytes(
            [
                new("model.embed_tokens.weight", [8, 4], SafetensorsDtype.F32, () => Values(32)),
                new("model.norm.weight", [4], SafetensorsDtype.BF16, () => Values(4)),
                new("lm_head.weight", [8, 4], SafetensorsDtype.F16, () => Values(32)),
                new("scalar", [], SafetensorsDtype.F32, () => Values(1)),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });
        using (var file = SafetensorsFile.FromBytes(bytes)) Assert.Equal(4, file.Tensors.Count); // the seed really is valid
        return bytes;
    }

    [Fact(Timeout = 60_000)]
    public async Task Mutated_headers_either_read_or_fail_with_a_format_error_within_bounded_memory()
    {
        var original = BuildValidFile();
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var outcomes = await Task.Run(() =>
        {
            var counts = new Dictionary<string, int> { ["read"] = 0, ["rejected"] = 0 };
            double worstAllocationPerByte = 0;
            long largestAllocation = 0;
            for (var seed = 0; seed < Cases; seed++)
            {
                var random = new Random(seed);
                var mutated = Mutate(original, headerLength, random);
                var before = GC.GetAllocatedBytesForCurrentThread();
                var outcome = ReadEverything(mutated, seed);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated <= AllocationSlackBytes + (long)AllocationPerInputByte * mutated.Length,
                    $"seed {seed}: allocated {allocated} bytes for a {mutated.Length}-byte input");
                counts[outcome]++;
                if (mutated.Length >= 256) worstAllocationPerByte = Math.Max(worstAllocationPerByte, (double)allocated / mutated.Length);
                largestAllocation = Math.Max(largestAllocation, allocated);
            }
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{counts["read"]} read, {counts["rejected"]} rejected, worst allocation {worstAllocationPerByte:F1} bytes per input byte (inputs of 256+ bytes), largest {largestAllocation} bytes");
            return counts;
        }, TestContext.Current.CancellationToken);

        // Both paths must really be exercised, or the mutations are not probing anything.
        Assert.InRange(outcomes["read"], 100, Cases - 100);
    }

    private static string ReadEverything(byte[] bytes, int seed)
    {
        try
        {
            using var file = SafetensorsFile.FromBytes(bytes, $"seed-{seed}");
            foreach (var tensor in file.Tensors)
            {
                try
                {
                    if (tensor.Dtype.IsReadableAsFloat32()) Assert.Equal(tensor.ElementCount, file.ReadFloat32(tensor.Name).LongLength);
                    else Assert.Equal(tensor.ByteLength, file.ReadBytes(tensor.Name).LongLength);
                }
                catch (ModelFormatException)
                {
                }
            }
            return "read";
        }
        catch (ModelFormatException)
        {
            return "rejected";
        }
        catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"seed {seed}: {exception.GetType().Name} escaped: {exception.Message}");
            throw;
        }
    }

    private static byte[] Mutate(byte[] original, int headerLength, Random random)
    {
        switch (random.Next(6))
        {
            case 0: // flip a few header bytes
            {
                var bytes = (byte[])original.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    bytes[8 + random.Next(headerLength)] = (byte)random.Next(256);
                return bytes;
            }
            case 1: // lie about the header length
            {
                var bytes = (byte[])original.Clone();
                ulong[] lies = [0, 1, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)original.Length, ulong.MaxValue, (ulong)random.NextInt64()];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, lies[random.Next(lies.Length)]);
                return bytes;
            }
            case 2: // replace one number (a shape dimension or an offset) with a hostile one
                return EditHeader(original, headerLength, json => ReplaceOne(Numbers(), json, HostileNumbers[random.Next(HostileNumbers.Length)], random));
            case 3: // swap a dtype
                return EditHeader(original, headerLength, json => ReplaceOne(Dtypes(), json, $"\"{HostileDtypes[random.Next(HostileDtypes.Length)]}\"", random));
            case 4: // truncate anywhere
                return original[..random.Next(original.Length)];
            default: // delete or duplicate a span of header text
                return EditHeader(original, headerLength, json =>
                {
                    var start = random.Next(json.Length);
                    var length = random.Next(1, Math.Min(16, json.Length - start) + 1);
                    return random.Next(2) == 0 ? json.Remove(start, length) : json.Insert(start, json.Substring(start, length));
                });
        }
    }

    private static string ReplaceOne(Regex pattern, string json, string replacement, Random random)
    {
        var matches = pattern.Matches(json);
        if (matches.Count == 0) return json;
        var match = matches[random.Next(matches.Count)];
        return string.Concat(json.AsSpan(0, match.Index), replacement, json.AsSpan(match.Index + match.Length));
    }

    /// <summary>Rewrites the header text and fixes up the length prefix, so the edit reaches the JSON parser.</summary>
    private static byte[] EditHeader(byte[] original, int headerLength, Func<string, string> edit)
    {
        var json = edit(Encoding.UTF8.GetString(original, 8, headerLength));
        return RawSafetensors.Build(Encoding.UTF8.GetBytes(json), original[(8 + headerLength)..]);
    }
}
