using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using static Tsuzumi.Inference.Tests.Formats.Gguf.GgufTestFiles;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

public sealed class GgufCheckpointReaderTests
{
    [Fact]
    public void Stories260K_becomes_a_five_layer_llama_with_adjacent_pair_rope()
    {
        using var checkpoint = GgufCheckpointReader.Read(Stories260KPath);
        var config = checkpoint.Config;

        Assert.Equal("llama", config.ModelType);
        Assert.Equal(512, config.VocabSize);
        Assert.Equal(64, config.HiddenSize);
        Assert.Equal(172, config.IntermediateSize);
        Assert.Equal(5, config.NumHiddenLayers);
        Assert.Equal(8, config.NumAttentionHeads);
        Assert.Equal(4, config.NumKeyValueHeads);
        Assert.Equal(8, config.ResolvedHeadDim);
        Assert.Equal(2048, config.MaxPositionEmbeddings);
        Assert.Equal(1e-5, config.RmsNormEps, 1e-9);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.Null(config.RopeScaling);
        Assert.Equal(RopeLayout.AdjacentPairs, config.RopeLayout);
        Assert.False(config.AttentionBias);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal(2, config.EosTokenId);
    }

    [Fact]
    public void Stories260K_tensors_carry_hugging_face_names_and_pytorch_shapes()
    {
        using var checkpoint = GgufCheckpointReader.Read(Stories260KPath);

        Assert.Equal(5 * 9 + 3, checkpoint.Tensors.Count);
        Assert.Equal([512L, 64L], checkpoint.Tensors["model.embed_tokens.weight"].Shape);
        Assert.Equal([64L, 64L], checkpoint.Tensors["model.layers.0.self_attn.q_proj.weight"].Shape);
        Assert.Equal([32L, 64L], checkpoint.Tensors["model.layers.4.self_attn.k_proj.weight"].Shape);
        Assert.Equal([172L, 64L], checkpoint.Tensors["model.layers.2.mlp.up_proj.weight"].Shape);
        Assert.Equal([64L, 172L], checkpoint.Tensors["model.layers.2.mlp.down_proj.weight"].Shape);
        Assert.Equal([64L], checkpoint.Tensors["model.norm.weight"].Shape);
        Assert.All(checkpoint.Tensors.Values, tensor => Assert.Equal("F32", tensor.StorageType));
        Assert.False(checkpoint.Config.TieWordEmbeddings);
        Assert.Equal(checkpoint.Tensors["model.embed_tokens.weight"].ReadFloat32(), checkpoint.Tensors["lm_head.weight"].ReadFloat32());
        Assert.Null(checkpoint.Tokenizer);
    }

    [Fact]
    public void Stories260K_vocabulary_is_sentencepiece_with_byte_tokens()
    {
        using var file = GgufFile.Open(Stories260KPath);

        var vocabulary = GgufCheckpointReader.ReadVocabulary(file)!;

        Assert.Equal("llama", vocabulary.Model);
        Assert.Equal(512, vocabulary.Tokens.Length);
        Assert.Equal(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"), vocabulary.Tokens[3..259]);
        Assert.Equal(512, vocabulary.Scores!.Length);
        Assert.Equal(512, vocabulary.TokenTypes!.Length);
        Assert.Equal(6, vocabulary.TokenTypes[3]);  // byte token
        Assert.Equal(1, vocabulary.BosId);
        Assert.Equal(2, vocabulary.EosId);
        Assert.Equal(0, vocabulary.UnknownId);
        Assert.True(vocabulary.AddBos);
        Assert.False(vocabulary.AddEos);
    }

    [Fact]
    public void A_file_without_an_output_head_ties_the_embeddings()
    {
        var bytes = WriteSynthetic(TinyConfig(), withLmHead: false);

        using var checkpoint = GgufCheckpointReader.Read(GgufFile.Read(bytes), ownsFile: true);

        Assert.True(checkpoint.Config.TieWordEmbeddings);
        Assert.False(checkpoint.Tensors.ContainsKey("lm_head.weight"));
        Assert.Equal("{{ messages }}", checkpoint.ChatTemplate);
    }

    [Fact]
    public void Qwen2_files_keep_half_split_rope_and_attention_biases()
    {
        var bytes = WriteSynthetic(TinyConfig(RopeLayout.HalfSplit, "qwen2", bias: true));

        using var checkpoint = GgufCheckpointReader.Read(GgufFile.Read(bytes), ownsFile: true);

        Assert.Equal("qwen2", checkpoint.Config.ModelType);
        Assert.Equal(RopeLayout.HalfSplit, checkpoint.Config.RopeLayout);
        Assert.True(checkpoint.Config.AttentionBias);
        Assert.Equal([16L], checkpoint.Tensors["model.layers.1.self_attn.k_proj.bias"].Shape);
    }

    [Fact]
    public void An_unsupported_architecture_names_the_key_and_value()
    {
        var bytes = WriteSynthetic(TinyConfig());
        // The value follows the key, its type (4 bytes) and its length (8 bytes); "gemma" has the same length as "llama".
        "gemma"u8.ToArray().CopyTo(bytes, Find(bytes, "general.architecture") + "general.architecture".Length + 4 + 8);

        var error = Assert.Throws<ModelFormatException>(() => GgufCheckpointReader.Read(GgufFile.Read(bytes)));

        Assert.Equal("general.architecture", error.Item);
        Assert.Contains("'gemma' is not supported", error.Message);
    }

    [Fact]
    public void An_unknown_tensor_name_is_refused()
    {
        var bytes = WriteSynthetic(TinyConfig());
        "blk.1.ffn_zzz".Select(c => (byte)c).ToArray().CopyTo(bytes, Find(bytes, "blk.1.ffn_up.weight"));

        var error = Assert.Throws<ModelFormatException>(() => GgufCheckpointReader.Read(GgufFile.Read(bytes)));

        Assert.Equal("blk.1.ffn_zzzweight", error.Item);
        Assert.Contains("unknown tensor name", error.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        var bytes = WriteSynthetic(TinyConfig());
        // Renaming layer 1's up projection to layer 9's leaves layer 1 without one.
        "blk.9".Select(c => (byte)c).ToArray().CopyTo(bytes, Find(bytes, "blk.1.ffn_up.weight"));

        var error = Assert.Throws<ModelFormatException>(() => GgufCheckpointReader.Read(GgufFile.Read(bytes)));

        Assert.Equal("blk.1.ffn_up.weight", error.Item);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void A_tensor_shaped_against_the_config_is_named()
    {
        var bytes = WriteSynthetic(TinyConfig());
        // token_embd is [32, 40] in GGML order; claim 16 columns instead, which the data still covers.
        WriteUInt64(bytes, DimensionCountField(bytes, "token_embd.weight") + 4, 16);

        var error = Assert.Throws<ModelFormatException>(() => GgufCheckpointReader.Read(GgufFile.Read(bytes)));

        Assert.Equal("token_embd.weight", error.Item);
        Assert.Contains("does not match the config's [40, 32]", error.Message);
    }

    [Fact]
    public void A_missing_hyper_parameter_is_named()
    {
        var bytes = WriteSynthetic(TinyConfig());
        "llama.block_kount".Select(c => (byte)c).ToArray().CopyTo(bytes, Find(bytes, "llama.block_count"));

        var error = Assert.Throws<ModelFormatException>(() => GgufCheckpointReader.Read(GgufFile.Read(bytes)));

        Assert.Equal("llama.block_count", error.Item);
    }

    private static byte[] WriteSynthetic(LlamaConfig config, bool withLmHead = true)
    {
        using var stream = new MemoryStream();
        GgufCheckpointWriter.Write(SyntheticCheckpoint(config, seed: 3, withLmHead), null, stream);
        return stream.ToArray();
    }
}
