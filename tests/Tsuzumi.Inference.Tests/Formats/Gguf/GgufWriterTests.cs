using Tsuzumi.Inference.Formats.Gguf;
using static Tsuzumi.Inference.Tests.Formats.Gguf.GgufTestFiles;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

public sealed class GgufWriterTests
{
    private static readonly (string Key, GgufValue Value)[] EveryValueType =
    [
        ("t.u8", GgufValue.UInt8(250)),
        ("t.i8", GgufValue.Int8(-100)),
        ("t.u16", GgufValue.UInt16(65000)),
        ("t.i16", GgufValue.Int16(-32000)),
        ("t.u32", GgufValue.UInt32(4_000_000_000)),
        ("t.i32", GgufValue.Int32(-2_000_000_000)),
        ("t.f32", GgufValue.Float32(3.25f)),
        ("t.bool", GgufValue.Bool(true)),
        ("t.string", GgufValue.String("鼓 tsuzumi ✓")),
        ("t.u64", GgufValue.UInt64(ulong.MaxValue)),
        ("t.i64", GgufValue.Int64(long.MinValue)),
        ("t.f64", GgufValue.Float64(Math.PI)),
        ("t.empty", GgufValue.String("")),
        ("t.array.u8", GgufValue.Array(new byte[] { 1, 2, 255 })),
        ("t.array.i8", GgufValue.Array(new sbyte[] { -1, 0, 1 })),
        ("t.array.u16", GgufValue.Array(new ushort[] { 1, 65535 })),
        ("t.array.i16", GgufValue.Array(new short[] { -5, 5 })),
        ("t.array.u32", GgufValue.Array(new uint[] { 7, 8, 9 })),
        ("t.array.i32", GgufValue.Array(new[] { -7, 8, -9 })),
        ("t.array.f32", GgufValue.Array(new[] { 0.5f, float.NaN, float.NegativeInfinity })),
        ("t.array.bool", GgufValue.Array(new[] { true, false, true })),
        ("t.array.string", GgufValue.Array(new[] { "a", "", "日本語" })),
        ("t.array.u64", GgufValue.Array(new[] { 1UL, ulong.MaxValue })),
        ("t.array.i64", GgufValue.Array(new[] { long.MinValue, 3L })),
        ("t.array.f64", GgufValue.Array(new[] { 1e-300, -2.5 })),
        ("t.array.empty", GgufValue.Array(System.Array.Empty<int>())),
        ("t.array.nested", GgufValue.Array(new[] { GgufValue.Array(new[] { "x", "y" }), GgufValue.Array(new[] { GgufValue.Array(new[] { 1, 2 }) }) })),
    ];

    [Fact]
    public void Metadata_of_every_value_type_reads_back_exactly_and_in_order()
    {
        var writer = new GgufWriter();
        foreach (var (key, value) in EveryValueType) writer.AddMetadata(key, value);

        using var file = GgufFile.Read(writer.ToBytes());

        Assert.Equal(EveryValueType.Select(entry => entry.Key), file.MetadataKeys);
        foreach (var (key, value) in EveryValueType) Assert.Equal(value, file.Metadata[key]);
    }

    [Theory]
    [InlineData(GgufTensorType.F32)]
    [InlineData(GgufTensorType.F16)]
    [InlineData(GgufTensorType.BF16)]
    [InlineData(GgufTensorType.Q8_0)]
    [InlineData(GgufTensorType.Q4_0)]
    [InlineData(GgufTensorType.Q4_K)]
    [InlineData(GgufTensorType.Q6_K)]
    public void Tensors_read_back_as_their_encoding_decodes(GgufTensorType type)
    {
        var random = new Random(11);
        var values = Enumerable.Range(0, 512 * 3).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var writer = new GgufWriter();
        writer.AddTensor("odd", [3], GgufTensorType.F32, [1f, 2f, 3f]); // 12 bytes: the next tensor needs padding
        writer.AddTensor("matrix", [512, 3], type, values);

        using var file = GgufFile.Read(writer.ToBytes());
        var info = file.GetTensor("matrix");
        var expected = new float[values.Length];
        GgufDequantizer.Dequantize(type, GgufQuantizer.Quantize(type, values), expected);

        Assert.Equal(type, info.Type);
        Assert.Equal([3L, 512L], info.PyTorchShape);
        Assert.Equal(0, (file.DataOffset + info.Offset) % 32);
        Assert.Equal(expected, file.ReadFloat32(info));
        Assert.Equal([1f, 2f, 3f], file.ReadFloat32("odd"));
        if (type == GgufTensorType.F32) Assert.Equal(values, file.ReadFloat32(info));
    }

    [Fact]
    public void A_custom_alignment_is_recorded_and_honoured()
    {
        var writer = new GgufWriter(alignment: 256);
        writer.AddTensor("a", [5], GgufTensorType.F32, new float[5]);
        writer.AddTensor("b", [7], GgufTensorType.F32, Enumerable.Range(0, 7).Select(i => (float)i).ToArray());

        using var file = GgufFile.Read(writer.ToBytes());

        Assert.Equal(256, file.Alignment);
        Assert.Equal(0, file.DataOffset % 256);
        Assert.Equal(256, file.GetTensor("b").Offset);
        Assert.Equal(6f, file.ReadFloat32("b")[6]);
    }

    [Fact]
    public void Duplicate_names_and_misshapen_tensors_are_caller_errors()
    {
        var writer = new GgufWriter();
        writer.AddMetadata("k", GgufValue.Bool(false));
        writer.AddTensor("t", [32], GgufTensorType.F32, new float[32]);

        Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", GgufValue.Bool(true)));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [32], GgufTensorType.F32, new float[32]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("q", [48], GgufTensorType.Q8_0, new float[48]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("five", [1, 1, 1, 1, 1], GgufTensorType.F32, new float[1]));
        Assert.Throws<ArgumentException>(() => writer.AddMetadata(GgufFile.AlignmentKey, GgufValue.UInt32(64)));
    }

    [Fact]
    public void Stories260K_rewritten_through_the_writer_is_byte_identical_in_data()
    {
        using var original = GgufFile.Open(Stories260KPath);
        var writer = new GgufWriter();
        foreach (var key in original.MetadataKeys) writer.AddMetadata(key, original.Metadata[key]);
        foreach (var tensor in original.Tensors) writer.AddRawTensor(tensor.Name, tensor.Dimensions, tensor.Type, original.ReadRaw(tensor));

        var rewritten = writer.ToBytes();

        Assert.Equal(File.ReadAllBytes(Stories260KPath), rewritten);
    }
}
