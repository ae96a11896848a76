using System.Text;
using Tsuzumi.Inference.Formats.Gguf;
using static Tsuzumi.Inference.Tests.Formats.Gguf.GgufTestFiles;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

public sealed class GgufFileTests
{
    [Fact]
    public void Stories260K_header_metadata_and_tensor_table_read_as_documented()
    {
        using var file = GgufFile.Open(Stories260KPath);

        Assert.Equal(3u, file.Version);
        Assert.Equal(32, file.Alignment);
        Assert.Equal(14176, file.DataOffset);
        Assert.Equal("llama", file.GetMetadata("general.architecture").AsString());
        Assert.Equal(64, file.GetMetadata("llama.embedding_length").AsInt64());
        Assert.Equal(172, file.GetMetadata("llama.feed_forward_length").AsInt64());
        Assert.Equal(5, file.GetMetadata("llama.block_count").AsInt64());
        Assert.Equal(8, file.GetMetadata("llama.attention.head_count").AsInt64());
        Assert.Equal(4, file.GetMetadata("llama.attention.head_count_kv").AsInt64());
        Assert.Equal(8, file.GetMetadata("llama.rope.dimension_count").AsInt64());
        Assert.Equal(1e-5, file.GetMetadata("llama.attention.layer_norm_rms_epsilon").AsDouble(), 1e-9);
        Assert.Equal(48, file.Tensors.Count);
        Assert.All(file.Tensors, tensor => Assert.Equal(GgufTensorType.F32, tensor.Type));
        // 260,032 parameters with the embedding counted once; the file also stores output.weight (512 × 64) separately.
        Assert.Equal(260_032 + 512 * 64, file.Tensors.Sum(tensor => tensor.ElementCount));

        var embedding = file.GetTensor("token_embd.weight");
        Assert.Equal([64L, 512L], embedding.Dimensions);
        Assert.Equal([512L, 64L], embedding.PyTorchShape);
        Assert.Equal([64L, 172L], file.GetTensor("blk.0.ffn_gate.weight").Dimensions);
    }

    [Fact]
    public void Stories260K_tensor_values_match_the_raw_little_endian_floats()
    {
        using var file = GgufFile.Open(Stories260KPath);
        var norm = file.GetTensor("blk.4.attn_norm.weight");

        var values = file.ReadFloat32(norm);
        var raw = file.ReadRaw(norm);

        Assert.Equal(64, values.Length);
        for (var i = 0; i < values.Length; i++) Assert.Equal(BitConverter.ToSingle(raw, 4 * i), values[i]);
        Assert.Contains(values, value => value != 0);
    }

    [Fact]
    public void The_same_file_from_memory_reads_like_from_disk()
    {
        var bytes = File.ReadAllBytes(Stories260KPath);
        using var fromDisk = GgufFile.Open(Stories260KPath);
        using var fromMemory = GgufFile.Read(bytes, "stories.gguf");

        Assert.Equal(fromDisk.MetadataKeys, fromMemory.MetadataKeys);
        foreach (var key in fromDisk.MetadataKeys) Assert.Equal(fromDisk.Metadata[key], fromMemory.Metadata[key]);
        Assert.Equal(fromDisk.Tensors, fromMemory.Tensors, (a, b) => a.Name == b.Name && a.Offset == b.Offset && a.Dimensions.SequenceEqual(b.Dimensions));
        Assert.Equal(fromDisk.ReadFloat32("output.weight"), fromMemory.ReadFloat32("output.weight"));

        using var stream = new MemoryStream(bytes);
        using var fromStream = GgufFile.Read(stream, "stories.gguf");
        Assert.Equal(fromDisk.ReadFloat32("blk.3.ffn_down.weight"), fromStream.ReadFloat32("blk.3.ffn_down.weight"));
    }

    [Fact]
    public void A_wrong_magic_is_refused()
    {
        var bytes = SmallFile();
        bytes[0] = (byte)'X';

        var error = LoadFails(bytes);

        Assert.Equal("header", error.Item);
        Assert.Contains("not a GGUF file", error.Message);
        Assert.Contains("bad.gguf", error.Message);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(4u)]
    public void Unsupported_versions_are_refused(uint version)
    {
        var bytes = SmallFile();
        WriteUInt32(bytes, 4, version);

        Assert.Contains($"version {version} is not supported", LoadFails(bytes).Message);
    }

    [Fact]
    public void Version_2_files_are_read()
    {
        var bytes = SmallFile();
        WriteUInt32(bytes, 4, 2);

        using var file = GgufFile.Read(bytes);

        Assert.Equal(2u, file.Version);
        Assert.Equal(7, file.GetMetadata("test.count").AsInt64());
    }

    [Fact]
    public void Truncating_inside_the_metadata_names_the_key_being_read()
    {
        var bytes = SmallFile();
        var cut = Find(bytes, "tiny") + 2;

        var error = LoadFails(bytes[..cut]);

        Assert.Equal("general.name", error.Item);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Truncating_the_data_section_names_the_tensor()
    {
        var bytes = SmallFile();

        var error = LoadFails(bytes[..^4]);

        Assert.Equal("weights", error.Item);
        Assert.Contains("outside the data section", error.Message);
    }

    [Fact]
    public void A_tensor_offset_beyond_the_file_names_the_tensor()
    {
        var bytes = SmallFile();
        WriteUInt64(bytes, OffsetField(bytes, "weights"), 1UL << 40);

        Assert.Equal("weights", LoadFails(bytes).Item);
    }

    [Fact]
    public void A_tensor_offset_off_the_alignment_is_refused()
    {
        var bytes = SmallFile();
        WriteUInt64(bytes, OffsetField(bytes, "weights"), 4);

        Assert.Contains("not a multiple of the alignment", LoadFails(bytes).Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    [InlineData(uint.MaxValue)]
    public void Dimension_counts_outside_one_to_four_are_refused(uint dimensionCount)
    {
        var bytes = SmallFile();
        WriteUInt32(bytes, DimensionCountField(bytes, "weights"), dimensionCount);

        var error = LoadFails(bytes);

        Assert.Equal("weights", error.Item);
    }

    [Theory]
    [InlineData(0UL, "dimension 0 is 0")]
    [InlineData(ulong.MaxValue, "dimension 0 is")]
    [InlineData(1UL << 40, "outside the data section")]
    public void Absurd_dimensions_are_refused_before_anything_is_allocated(ulong dimension, string expected)
    {
        var bytes = SmallFile();
        WriteUInt64(bytes, DimensionCountField(bytes, "weights") + 4, dimension);

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = LoadFails(bytes);

        Assert.Contains(expected, error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20);
    }

    [Fact]
    public void Dimensions_whose_product_overflows_are_refused()
    {
        var writer = new GgufWriter();
        writer.AddTensor("grid", [1, 1, 1, 1], GgufTensorType.F32, [1f]);
        var bytes = writer.ToBytes();
        var dims = DimensionCountField(bytes, "grid") + 4;
        for (var axis = 0; axis < 4; axis++) WriteUInt64(bytes, dims + 8 * axis, 1UL << 20);

        Assert.Contains("overflow", LoadFails(bytes).Message);
    }

    [Fact]
    public void A_huge_array_length_is_refused_without_allocating_it()
    {
        var writer = new GgufWriter();
        writer.AddMetadata("test.list", GgufValue.Array(new[] { 1f, 2f, 3f }));
        var bytes = writer.ToBytes();
        WriteUInt64(bytes, Find(bytes, "test.list") + "test.list".Length + 4 + 4, 1UL << 60);

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = LoadFails(bytes);

        Assert.Equal("test.list", error.Item);
        Assert.Contains("cannot fit", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1 << 20);
    }

    [Fact]
    public void A_huge_string_length_is_reported_as_truncation()
    {
        var bytes = SmallFile();
        WriteUInt64(bytes, Find(bytes, "tiny") - 8, ulong.MaxValue);

        var error = LoadFails(bytes);

        Assert.Equal("general.name", error.Item);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_key_is_refused()
    {
        var bytes = SmallFile(key: "general.nam\u00e9");
        var at = Find(bytes, "general.nam\u00e9") + "general.nam".Length;
        bytes[at + 1] = 0x28; // C3 28: a lead byte without its continuation

        Assert.Contains("not valid UTF-8", LoadFails(bytes).Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_value_names_the_key()
    {
        var bytes = SmallFile();
        bytes[Find(bytes, "tiny")] = 0xFF;

        var error = LoadFails(bytes);

        Assert.Equal("general.name", error.Item);
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public void A_duplicate_metadata_key_is_refused()
    {
        var writer = new GgufWriter();
        writer.AddMetadata("test.one", GgufValue.UInt8(1));
        writer.AddMetadata("test.two", GgufValue.UInt8(2));
        var bytes = writer.ToBytes();
        Encoding.UTF8.GetBytes("test.one").CopyTo(bytes, Find(bytes, "test.two"));

        var error = LoadFails(bytes);

        Assert.Equal("test.one", error.Item);
        Assert.Contains("duplicate metadata key", error.Message);
    }

    [Fact]
    public void A_duplicate_tensor_name_is_refused()
    {
        var writer = new GgufWriter();
        writer.AddTensor("first", [4], GgufTensorType.F32, new float[4]);
        writer.AddTensor("other", [4], GgufTensorType.F32, new float[4]);
        var bytes = writer.ToBytes();
        Encoding.UTF8.GetBytes("first").CopyTo(bytes, Find(bytes, "other"));

        var error = LoadFails(bytes);

        Assert.Equal("first", error.Item);
        Assert.Contains("duplicate tensor name", error.Message);
    }

    [Fact]
    public void An_unknown_value_type_names_the_key()
    {
        var bytes = SmallFile();
        WriteUInt32(bytes, Find(bytes, "test.count") + "test.count".Length, 99);

        var error = LoadFails(bytes);

        Assert.Equal("test.count", error.Item);
        Assert.Contains("unknown value type 99", error.Message);
    }

    [Fact]
    public void An_unknown_tensor_type_id_names_the_tensor()
    {
        var bytes = SmallFile();
        WriteUInt32(bytes, TypeField(bytes, "weights"), 4); // Q4_2, retired from ggml

        var error = LoadFails(bytes);

        Assert.Equal("weights", error.Item);
        Assert.Contains("unknown tensor type id 4", error.Message);
    }

    [Fact]
    public void A_known_but_unsupported_tensor_type_loads_and_fails_only_when_read()
    {
        var writer = new GgufWriter();
        writer.AddRawTensor("blk.0.attn_q.weight", [256, 2], GgufTensorType.Q5_K, new byte[2 * 176]);
        using var file = GgufFile.Read(writer.ToBytes(), "q5k.gguf");

        var error = Assert.Throws<Tsuzumi.Inference.Formats.ModelFormatException>(() => file.ReadFloat32("blk.0.attn_q.weight"));

        Assert.Equal("blk.0.attn_q.weight", error.Item);
        Assert.Contains("tensor blk.0.attn_q.weight has type Q5_K, which is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)", error.Message);
        Assert.Equal(2 * 176, file.ReadRaw(file.GetTensor("blk.0.attn_q.weight")).Length);
    }

    [Fact]
    public void A_row_that_is_not_whole_blocks_is_refused()
    {
        var writer = new GgufWriter();
        writer.AddRawTensor("packed", [64], GgufTensorType.Q8_0, new byte[2 * 34]);
        var bytes = writer.ToBytes();
        WriteUInt64(bytes, DimensionCountField(bytes, "packed") + 4, 48);

        Assert.Contains("not a multiple of the Q8_0 block size 32", LoadFails(bytes).Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(24u)]
    public void An_alignment_that_is_not_a_power_of_two_is_refused(uint alignment)
    {
        var writer = new GgufWriter(alignment: 64);
        writer.AddTensor("weights", [8], GgufTensorType.F32, new float[8]);
        var bytes = writer.ToBytes();
        WriteUInt32(bytes, Find(bytes, GgufFile.AlignmentKey) + GgufFile.AlignmentKey.Length + 4, alignment);

        Assert.Equal(GgufFile.AlignmentKey, LoadFails(bytes).Item);
    }

    [Fact]
    public void Arrays_nested_without_end_are_refused_before_the_stack_runs_out()
    {
        // Each level is "array of arrays, length 1" (type 9, count 1) pointing at the next.
        var header = new List<byte>();
        header.AddRange(BitConverter.GetBytes(GgufFile.Magic));
        header.AddRange(BitConverter.GetBytes(3u));
        header.AddRange(BitConverter.GetBytes(0UL));
        header.AddRange(BitConverter.GetBytes(1UL));
        header.AddRange(BitConverter.GetBytes(4UL));
        header.AddRange("deep"u8.ToArray());
        header.AddRange(BitConverter.GetBytes(9u));
        for (var level = 0; level < 10_000; level++)
        {
            header.AddRange(BitConverter.GetBytes(9u));
            header.AddRange(BitConverter.GetBytes(1UL));
        }

        var error = LoadFails(header.ToArray());

        Assert.Equal("deep", error.Item);
        Assert.Contains("nested deeper", error.Message);
    }
}
