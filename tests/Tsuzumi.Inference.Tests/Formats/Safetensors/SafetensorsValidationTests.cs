using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Safetensors;

namespace Tsuzumi.Inference.Tests.Formats.Safetensors;

public sealed class SafetensorsValidationTests
{
    private static ModelFormatException Rejects(string headerJson, byte[] data) =>
        Assert.Throws<ModelFormatException>(() => SafetensorsFile.FromBytes(RawSafetensors.Build(headerJson, data), "test.safetensors"));

    [Fact]
    public void Loading_a_truncated_file_names_the_tensor()
    {
        var error = Rejects("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""",
            RawSafetensors.Floats(1, 2, 3, 4));

        Assert.Equal("b", error.Item);
        Assert.Equal("test.safetensors", error.FilePath);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected()
    {
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.FromBytes([1, 0, 0], "x"));
        Assert.Contains("too short", error.Message);
    }

    [Fact]
    public void A_header_length_past_the_end_of_the_file_is_rejected_before_reading_it()
    {
        var bytes = RawSafetensors.Build("{}"u8.ToArray(), [], declaredHeaderLength: 1000);
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.FromBytes(bytes));
        Assert.Contains("runs past the end", error.Message);
    }

    [Fact]
    public void A_header_length_over_100_MB_is_rejected()
    {
        var bytes = RawSafetensors.Build("{}"u8.ToArray(), [], declaredHeaderLength: ulong.MaxValue);
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.FromBytes(bytes));
        Assert.Contains("limit", error.Message);
    }

    [Theory]
    [InlineData("""{"a":""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} trailing""")]
    public void A_header_that_is_not_a_json_object_is_rejected(string header)
    {
        var error = Rejects(header, new byte[4]);
        Assert.Null(error.Item);
    }

    [Fact]
    public void Duplicate_tensor_names_are_rejected()
    {
        var error = Rejects("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);
        Assert.Equal("a", error.Item);
        Assert.Contains("twice", error.Message);
    }

    [Fact]
    public void Overlapping_tensors_are_rejected()
    {
        var error = Rejects("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]);
        Assert.Equal("b", error.Item);
        Assert.Contains("overlap", error.Message);
    }

    [Fact]
    public void Offsets_that_disagree_with_shape_and_dtype_are_rejected()
    {
        var error = Rejects("""{"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}""", new byte[8]);
        Assert.Equal("a", error.Item);
        Assert.Contains("needs 6", error.Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", "overflows")]
    [InlineData("""{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "end before")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "pair")]
    [InlineData("""{"a":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,4]}}""", "Q4_K")]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", "dtype")]
    [InlineData("""{"a":[1]}""", "object")]
    public void Impossible_tensor_entries_are_rejected_naming_the_tensor(string header, string problem)
    {
        var error = Rejects(header, new byte[4]);
        Assert.Equal("a", error.Item);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Bytes_after_the_last_tensor_are_rejected()
    {
        var error = Rejects("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[12]);
        Assert.Contains("trailing", error.Message);
    }

    [Fact]
    public void A_gap_between_tensors_is_rejected()
    {
        var error = Rejects("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]);
        Assert.Equal("b", error.Item);
        Assert.Contains("gap", error.Message);
    }

    [Fact]
    public void Metadata_values_must_be_strings()
    {
        var error = Rejects("""{"__metadata__":{"format":1}}""", []);
        Assert.Equal("__metadata__.format", error.Item);
    }

    [Fact]
    public void Reading_an_integer_tensor_as_float_names_the_tensor_and_dtype()
    {
        using var file = SafetensorsFile.FromBytes(RawSafetensors.Build("""{"ids":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]), "m");

        var error = Assert.Throws<ModelFormatException>(() => file.ReadFloat32("ids"));

        Assert.Equal("ids", error.Item);
        Assert.Contains("I32", error.Message);
    }

    [Fact]
    public void Asking_for_an_absent_tensor_names_it()
    {
        using var file = SafetensorsFile.FromBytes(RawSafetensors.Build("{}", []), "m");
        Assert.Equal("missing.weight", Assert.Throws<ModelFormatException>(() => file.ReadFloat32("missing.weight")).Item);
    }

    [Fact]
    public void Opening_a_missing_file_is_a_format_error()
    {
        var error = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open("/nonexistent/model.safetensors"));
        Assert.Contains("not found", error.Message);
    }
}
