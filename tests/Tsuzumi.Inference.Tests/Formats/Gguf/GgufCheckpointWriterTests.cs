using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using static Tsuzumi.Inference.Tests.Formats.Gguf.GgufTestFiles;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

public sealed class GgufCheckpointWriterTests
{
    [Fact]
    public void Stories260K_round_trips_exactly_in_F32()
    {
        using var file = GgufFile.Open(Stories260KPath);
        using var original = GgufCheckpointReader.Read(file);
        var vocabulary = GgufCheckpointReader.ReadVocabulary(file);

        using var copyFile = GgufFile.Read(WriteToBytes(original, vocabulary, GgufTensorType.F32));
        using var copy = GgufCheckpointReader.Read(copyFile);

        Assert.Equal(original.Config, copy.Config);
        Assert.Equal(original.Tensors.Keys.Order(), copy.Tensors.Keys.Order());
        foreach (var (name, tensor) in original.Tensors)
        {
            Assert.Equal(tensor.Shape, copy.Tensors[name].Shape);
            Assert.Equal(tensor.ReadFloat32(), copy.Tensors[name].ReadFloat32());
        }
        var copiedVocabulary = GgufCheckpointReader.ReadVocabulary(copyFile)!;
        Assert.Equal(vocabulary!.Tokens, copiedVocabulary.Tokens);
        Assert.Equal(vocabulary.Scores, copiedVocabulary.Scores);
        Assert.Equal(vocabulary.TokenTypes, copiedVocabulary.TokenTypes);
        Assert.Equal((vocabulary.BosId, vocabulary.EosId, vocabulary.UnknownId, vocabulary.AddBos), (copiedVocabulary.BosId, copiedVocabulary.EosId, copiedVocabulary.UnknownId, copiedVocabulary.AddBos));
    }

    [Fact]
    public void Stories260K_round_trips_within_half_precision_in_F16_with_norms_kept_F32()
    {
        using var original = GgufCheckpointReader.Read(Stories260KPath);

        using var copy = GgufCheckpointReader.Read(GgufFile.Read(WriteToBytes(original, null, GgufTensorType.F16)), ownsFile: true);

        Assert.Equal("F16", copy.Tensors["model.layers.0.mlp.gate_proj.weight"].StorageType);
        Assert.Equal("F32", copy.Tensors["model.layers.0.input_layernorm.weight"].StorageType);
        foreach (var (name, tensor) in original.Tensors)
        {
            var expected = tensor.ReadFloat32();
            var actual = copy.Tensors[name].ReadFloat32();
            for (var i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= Math.Abs(expected[i]) * (1.0 / 2048) + 6e-8, $"{name}[{i}]: {expected[i]} vs {actual[i]}");
        }
    }

    [Theory]
    [InlineData(GgufTensorType.Q8_0, 0.01)]
    [InlineData(GgufTensorType.Q4_0, 0.15)]
    public void A_synthetic_model_round_trips_through_quantised_storage(GgufTensorType type, double bound)
    {
        using var original = SyntheticCheckpoint(TinyConfig(), seed: 5);

        using var copy = GgufCheckpointReader.Read(GgufFile.Read(WriteToBytes(original, null, type)), ownsFile: true);

        Assert.Equal(type.ToString(), copy.Tensors["model.layers.1.self_attn.o_proj.weight"].StorageType);
        foreach (var (name, tensor) in original.Tensors)
        {
            var expected = tensor.ReadFloat32();
            var actual = copy.Tensors[name].ReadFloat32();
            Assert.All(expected.Zip(actual), pair => Assert.InRange(Math.Abs(pair.First - pair.Second), 0, bound));
        }
    }

    [Fact]
    public void Half_split_q_and_k_rows_are_permuted_to_adjacent_pairs_as_llama_cpp_does()
    {
        var config = TinyConfig(RopeLayout.HalfSplit);
        using var original = SyntheticCheckpoint(config, seed: 9);

        using var file = GgufFile.Read(WriteToBytes(original, null, GgufTensorType.F32));
        using var copy = GgufCheckpointReader.Read(file);

        Assert.Equal(RopeLayout.AdjacentPairs, copy.Config.RopeLayout);
        var q = original.Tensors["model.layers.0.self_attn.q_proj.weight"].ReadFloat32();
        var k = original.Tensors["model.layers.1.self_attn.k_proj.weight"].ReadFloat32();
        Assert.Equal(GgufRopePermutation.HalfSplitToAdjacentPairs(q, 4, 8), copy.Tensors["model.layers.0.self_attn.q_proj.weight"].ReadFloat32());
        Assert.Equal(GgufRopePermutation.HalfSplitToAdjacentPairs(k, 2, 8), copy.Tensors["model.layers.1.self_attn.k_proj.weight"].ReadFloat32());
        Assert.NotEqual(q, copy.Tensors["model.layers.0.self_attn.q_proj.weight"].ReadFloat32());
        Assert.Equal(original.Tensors["model.layers.0.self_attn.v_proj.weight"].ReadFloat32(), copy.Tensors["model.layers.0.self_attn.v_proj.weight"].ReadFloat32());
    }

    [Fact]
    public void Adjacent_pair_checkpoints_are_written_unpermuted()
    {
        using var original = SyntheticCheckpoint(TinyConfig(RopeLayout.AdjacentPairs), seed: 9);

        using var copy = GgufCheckpointReader.Read(GgufFile.Read(WriteToBytes(original, null, GgufTensorType.F32)), ownsFile: true);

        Assert.Equal(original.Tensors["model.layers.0.self_attn.q_proj.weight"].ReadFloat32(), copy.Tensors["model.layers.0.self_attn.q_proj.weight"].ReadFloat32());
    }

    [Fact]
    public void Writing_to_a_path_produces_a_file_the_reader_opens()
    {
        using var original = SyntheticCheckpoint(TinyConfig(), seed: 1);
        var path = Path.Combine(Path.GetTempPath(), $"tsuzumi-gguf-{Guid.NewGuid():N}.gguf");
        try
        {
            GgufCheckpointWriter.Write(original, null, path);
            using var copy = GgufCheckpointReader.Read(path);

            Assert.Equal(original.Config, copy.Config);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] WriteToBytes(Checkpoint checkpoint, Tsuzumi.Inference.Tokenization.GgufVocabulary? vocabulary, GgufTensorType type)
    {
        using var stream = new MemoryStream();
        GgufCheckpointWriter.Write(checkpoint, vocabulary, stream, type);
        return stream.ToArray();
    }
}
