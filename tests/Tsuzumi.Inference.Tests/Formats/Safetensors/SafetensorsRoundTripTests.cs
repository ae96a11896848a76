using Tsuzumi.Inference.Formats.Safetensors;

namespace Tsuzumi.Inference.Tests.Formats.Safetensors;

public sealed class SafetensorsRoundTripTests
{
    private static float[] RandomValues(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
    }

    [Fact]
    public void F32_tensors_round_trip_bit_exactly_with_their_metadata()
    {
        var weight = RandomValues(1, 6 * 5);
        var bias = RandomValues(2, 5);
        var bytes = SafetensorsWriter.WriteToBytes(
            [
                new("layer.weight", [6, 5], SafetensorsDtype.F32, () => weight),
                new("layer.bias", [5], SafetensorsDtype.F32, () => bias),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal([6L, 5L], file.GetTensor("layer.weight").Shape);
        Assert.Equal(weight, file.ReadFloat32("layer.weight"));
        Assert.Equal(bias, file.ReadFloat32("layer.bias"));
    }

    [Theory]
    [InlineData(SafetensorsDtype.BF16, 1.0 / 256)] // 8 significant bits: half an ulp is 2^-8 relative
    [InlineData(SafetensorsDtype.F16, 1.0 / 2048)] // 11 significant bits
    public void Half_width_tensors_round_trip_within_their_precision(SafetensorsDtype dtype, double relativeTolerance)
    {
        var values = RandomValues(3, 257);
        var bytes = SafetensorsWriter.WriteToBytes([new("t", [257], dtype, () => values)]);

        using var file = SafetensorsFile.FromBytes(bytes);
        var read = file.ReadFloat32("t");

        Assert.Equal(dtype, file.GetTensor("t").Dtype);
        Assert.Equal(257L * 2, file.GetTensor("t").ByteLength);
        for (var i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(read[i] - values[i]) <= Math.Abs(values[i]) * relativeTolerance + 1e-6,
                $"element {i}: wrote {values[i]}, read {read[i]}");
        Assert.Contains(Enumerable.Range(0, values.Length), i => read[i] != values[i]); // really narrowed, not stored as F32
    }

    [Fact]
    public void Bf16_rounds_to_nearest_even_and_keeps_nan()
    {
        float[] values = [1f + 1f / 256, 1f + 3f / 256, -2.5f, float.NaN, float.PositiveInfinity];
        var bytes = SafetensorsWriter.WriteToBytes([new("t", [5], SafetensorsDtype.BF16, () => values)]);

        using var file = SafetensorsFile.FromBytes(bytes);
        var read = file.ReadFloat32("t");

        Assert.Equal(1f, read[0]); // a tie between 1 and 1 + 2^-7 goes to the even mantissa
        Assert.Equal(1f + 1f / 64, read[1]); // a tie between 1 + 2^-7 and 1 + 2^-6 goes up to the even one
        Assert.Equal(-2.5f, read[2]);
        Assert.True(float.IsNaN(read[3]));
        Assert.Equal(float.PositiveInfinity, read[4]);
    }

    [Fact]
    public void Header_is_laid_out_as_the_reference_writer_lays_it_out()
    {
        var bytes = SafetensorsWriter.WriteToBytes([new("attn.0", [1, 2, 3], SafetensorsDtype.F32, () => [0, 1, 2, 3, 4, 5])]);

        var header = RawSafetensors.HeaderOf(bytes);
        Assert.Equal("""{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}""", header.TrimEnd(' '));
        Assert.Equal(0, header.Length % 8);
        Assert.Equal(8 + header.Length + 24, bytes.Length);
    }

    [Fact]
    public void An_empty_file_with_metadata_is_padded_with_spaces_to_eight_bytes()
    {
        var bytes = SafetensorsWriter.WriteToBytes([], new Dictionary<string, string> { ["framework"] = "pt" });

        // 35 bytes of JSON + 5 spaces: the same 40-byte header the reference produces for this input.
        Assert.Equal("""{"__metadata__":{"framework":"pt"}}     """, RawSafetensors.HeaderOf(bytes));
        using var file = SafetensorsFile.FromBytes(bytes);
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void Tensors_are_ordered_by_descending_alignment_then_name()
    {
        float[] two = [1, 2];
        var bytes = SafetensorsWriter.WriteToBytes(
        [
            new("a.half", [2], SafetensorsDtype.F16, () => two),
            new("b.float", [2], SafetensorsDtype.F32, () => two),
            new("c.brain", [2], SafetensorsDtype.BF16, () => two),
            new("a.float", [2], SafetensorsDtype.F32, () => two),
        ]);

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal(["a.float", "b.float", "c.brain", "a.half"], file.Tensors.Select(tensor => tensor.Name));
        Assert.All(file.Tensors, tensor => Assert.Equal(0, (8 + RawSafetensors.HeaderOf(bytes).Length + tensor.DataBegin) % tensor.Dtype.Size()));
    }

    [Fact]
    public void A_file_on_disk_is_memory_mapped_and_written_without_leftovers()
    {
        var folder = Directory.CreateTempSubdirectory("tsuzumi-st-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.safetensors");
            var values = RandomValues(4, 1000);
            SafetensorsWriter.Write(path, [new("w", [10, 100], SafetensorsDtype.F32, () => values)]);

            using (var file = SafetensorsFile.Open(path))
                Assert.Equal(values, file.ReadFloat32("w"));

            Assert.Equal(["model.safetensors"], folder.GetFiles().Select(file => file.Name));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_writer_that_fails_midway_leaves_no_file_behind()
    {
        var folder = Directory.CreateTempSubdirectory("tsuzumi-st-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.safetensors");
            Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
                [new("w", [3], SafetensorsDtype.F32, () => [1, 2])]));

            Assert.Empty(folder.GetFiles());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Integer_tensors_are_readable_as_raw_bytes()
    {
        var data = new byte[16];
        data[0] = 7;
        data[8] = 9;
        var bytes = RawSafetensors.Build("""{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}""", data);

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal(data, file.ReadBytes("ids"));
    }

    [Fact]
    public void F64_tensors_are_read_as_float32()
    {
        var data = new byte[16];
        BitConverter.TryWriteBytes(data.AsSpan(0), 1.5);
        BitConverter.TryWriteBytes(data.AsSpan(8), -0.25);
        var bytes = RawSafetensors.Build("""{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""", data);

        using var file = SafetensorsFile.FromBytes(bytes);

        Assert.Equal([1.5f, -0.25f], file.ReadFloat32("d"));
    }
}
