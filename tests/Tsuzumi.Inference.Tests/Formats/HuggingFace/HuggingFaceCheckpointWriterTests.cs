using System.Text.Json.Nodes;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Formats.HuggingFace;

public sealed class HuggingFaceCheckpointWriterTests : IDisposable
{
    private readonly TemporaryFolder temporary = new();

    public void Dispose() => temporary.Dispose();

    private string Output => temporary.Combine("out");

    private static void AssertClose(float[] expected, float[] actual, double relativeTolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Math.Abs(expected[i]) * relativeTolerance + 1e-7,
                $"element {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void An_f32_checkpoint_round_trips_exactly()
    {
        var config = SyntheticModel.Config() with { HeadDim = 8, RopeScaling = new RopeScaling("linear", 2) };
        var weights = SyntheticModel.Weights(config);

        using (var original = SyntheticModel.Checkpoint(config, weights, chatTemplate: "{{ bos_token }}"))
            HuggingFaceCheckpointWriter.Write(original, Output);
        using var read = HuggingFaceCheckpointReader.Read(Output);

        Assert.Equal(config, read.Config);
        Assert.Equal("{{ bos_token }}", read.ChatTemplate);
        Assert.Equal(weights.Keys.Order(), read.Tensors.Keys.Order());
        foreach (var (name, values) in weights) Assert.Equal(values, read.Tensors[name].ReadFloat32());
        Assert.Equal(["config.json", "generation_config.json", "model.safetensors", "tokenizer_config.json"],
            Directory.GetFiles(Output).Select(Path.GetFileName).Order());
        Assert.DoesNotContain(Directory.GetDirectories(temporary.Path), path => path.Contains(".tmp-"));
    }

    [Theory]
    [InlineData(SafetensorsDtype.BF16, "bfloat16", 1.0 / 256)]
    [InlineData(SafetensorsDtype.F16, "float16", 1.0 / 2048)]
    public void A_half_width_folder_round_trips_within_its_precision(SafetensorsDtype dtype, string torchDtype, double tolerance)
    {
        var config = SyntheticModel.Config(tied: true);
        var weights = SyntheticModel.Weights(config);

        using (var original = SyntheticModel.Checkpoint(config, weights))
            HuggingFaceCheckpointWriter.Write(original, Output, dtype);
        using var read = HuggingFaceCheckpointReader.Read(Output);

        Assert.Equal(torchDtype, JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "config.json")))!["torch_dtype"]!.GetValue<string>());
        Assert.DoesNotContain("lm_head.weight", read.Tensors.Keys);
        foreach (var (name, values) in weights)
        {
            Assert.Equal(dtype.ToString(), read.Tensors[name].StorageType);
            AssertClose(values, read.Tensors[name].ReadFloat32(), tolerance);
        }
    }

    [Fact]
    public void A_model_larger_than_the_shard_limit_is_split_and_reads_back_whole()
    {
        var config = SyntheticModel.Config("qwen2");
        var weights = SyntheticModel.Weights(config);

        using (var original = SyntheticModel.Checkpoint(config, weights))
            HuggingFaceCheckpointWriter.Write(original, Output, maxShardBytes: 10_000);
        using var read = HuggingFaceCheckpointReader.Read(Output);

        var shards = Directory.GetFiles(Output, "model-*.safetensors").Select(Path.GetFileName).Order().ToList();
        Assert.True(shards.Count >= 3, $"only {shards.Count} shards");
        Assert.All(shards, shard => Assert.Matches($@"^model-\d{{5}}-of-{shards.Count:D5}\.safetensors$", shard!));
        Assert.False(File.Exists(Path.Combine(Output, "model.safetensors")));
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "model.safetensors.index.json")))!;
        Assert.Equal(weights.Values.Sum(values => values.Length * 4L), index["metadata"]!["total_size"]!.GetValue<long>());
        Assert.Equal(weights.Count, index["weight_map"]!.AsObject().Count);
        Assert.True(read.Config.AttentionBias);
        foreach (var (name, values) in weights) Assert.Equal(values, read.Tensors[name].ReadFloat32());
    }

    [Fact]
    public void A_gguf_layout_checkpoint_has_its_query_and_key_rows_put_in_half_split_order()
    {
        var config = SyntheticModel.Config(layout: RopeLayout.AdjacentPairs);
        var weights = SyntheticModel.Weights(config);

        using (var original = SyntheticModel.Checkpoint(config, weights))
            HuggingFaceCheckpointWriter.Write(original, Output);
        using var read = HuggingFaceCheckpointReader.Read(Output);

        Assert.Equal(RopeLayout.HalfSplit, read.Config.RopeLayout);
        const string query = "model.layers.1.self_attn.q_proj.weight", key = "model.layers.1.self_attn.k_proj.weight";
        Assert.Equal(RotaryPermutation.AdjacentPairsToHalfSplit(weights[query], [32, 32], heads: 4), read.Tensors[query].ReadFloat32());
        Assert.Equal(RotaryPermutation.AdjacentPairsToHalfSplit(weights[key], [16, 32], heads: 2), read.Tensors[key].ReadFloat32());
        Assert.Equal(weights["model.layers.1.self_attn.v_proj.weight"], read.Tensors["model.layers.1.self_attn.v_proj.weight"].ReadFloat32());
        Assert.NotEqual(weights[query], read.Tensors[query].ReadFloat32());
    }

    [Fact]
    public void Tokenizer_files_are_copied_beside_the_weights()
    {
        var tokenizerJson = RepositoryPaths.RequireSharedFile("models/llm-jp-tokenizer/code10K_en20K_ja30K.ver2.2_hf_fast.b4/tokenizer.json");
        var config = SyntheticModel.Config();

        using (var original = SyntheticModel.Checkpoint(config, SyntheticModel.Weights(config)))
            HuggingFaceCheckpointWriter.Write(original, Output, tokenizerJsonSourcePath: tokenizerJson);
        var folder = HuggingFaceFolder.Locate(Output);

        Assert.Equal(File.ReadAllBytes(tokenizerJson), File.ReadAllBytes(folder.TokenizerJsonPath!));
        Assert.NotNull(folder.TokenizerConfigPath);
        Assert.True(File.Exists(Path.Combine(Output, "special_tokens_map.json")));
    }

    [Fact]
    public void Generation_config_carries_the_special_token_ids()
    {
        var config = SyntheticModel.Config() with { BosTokenId = 5, EosTokenId = 6 };

        using (var original = SyntheticModel.Checkpoint(config, SyntheticModel.Weights(config)))
            HuggingFaceCheckpointWriter.Write(original, Output);

        var generation = JsonNode.Parse(File.ReadAllText(Path.Combine(Output, "generation_config.json")))!;
        Assert.Equal(5, generation["bos_token_id"]!.GetValue<int>());
        Assert.Equal(6, generation["eos_token_id"]!.GetValue<int>());
    }

    [Fact]
    public void A_checkpoint_missing_a_tensor_leaves_no_folder_behind()
    {
        var config = SyntheticModel.Config();
        var weights = SyntheticModel.Weights(config);
        weights.Remove("model.norm.weight");

        using var original = SyntheticModel.Checkpoint(config, weights);
        var error = Assert.Throws<ModelFormatException>(() => HuggingFaceCheckpointWriter.Write(original, Output));

        Assert.Equal("model.norm.weight", error.Item);
        Assert.Empty(Directory.GetFileSystemEntries(temporary.Path));
    }

    [Fact]
    public void A_failure_while_writing_weights_leaves_no_folder_behind()
    {
        var config = SyntheticModel.Config();
        var weights = SyntheticModel.Weights(config);
        using var original = SyntheticModel.Checkpoint(config, weights);
        var failing = original with
        {
            Tensors = original.Tensors.ToDictionary(pair => pair.Key, pair => pair.Key == "model.norm.weight"
                ? pair.Value with { ReadFloat32 = () => throw new IOException("disk gone") }
                : pair.Value),
        };

        Assert.Throws<IOException>(() => HuggingFaceCheckpointWriter.Write(failing, Output));

        Assert.Empty(Directory.GetFileSystemEntries(temporary.Path));
    }

    [Fact]
    public void An_existing_model_is_never_overwritten()
    {
        Directory.CreateDirectory(Output);
        File.WriteAllText(Path.Combine(Output, "config.json"), "{}");
        var config = SyntheticModel.Config();

        using var original = SyntheticModel.Checkpoint(config, SyntheticModel.Weights(config));
        Assert.Throws<IOException>(() => HuggingFaceCheckpointWriter.Write(original, Output));

        Assert.Equal("{}", File.ReadAllText(Path.Combine(Output, "config.json")));
    }
}
