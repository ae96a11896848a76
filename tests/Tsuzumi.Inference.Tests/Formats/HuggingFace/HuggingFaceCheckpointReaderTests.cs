using System.Text.Json.Nodes;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;

namespace Tsuzumi.Inference.Tests.Formats.HuggingFace;

public sealed class HuggingFaceCheckpointReaderTests : IDisposable
{
    private readonly TemporaryFolder temporary = new();

    public void Dispose() => temporary.Dispose();

    private string ModelFolder => temporary.Combine("model");

    private ModelFormatException LoadingFails() => Assert.Throws<ModelFormatException>(() => HuggingFaceCheckpointReader.Read(ModelFolder));

    [Fact]
    public void A_complete_folder_loads_every_tensor_lazily_with_its_values()
    {
        var config = SyntheticModel.Config();
        var tensors = SyntheticModel.ExpectedTensors(config).ToList();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), tensors);

        using var checkpoint = HuggingFaceCheckpointReader.Read(ModelFolder);

        Assert.Equal(config with { HeadDim = 8 }, checkpoint.Config); // the writer spells head_dim out
        Assert.Equal(tensors.Count, checkpoint.Tensors.Count);
        Assert.Equal(1 + 2 * 9 + 2, checkpoint.Tensors.Count); // embeddings, 9 per layer, final norm, lm_head
        foreach (var (name, shape, values) in tensors)
        {
            Assert.Equal(shape, checkpoint.Tensors[name].Shape);
            Assert.Equal("F32", checkpoint.Tensors[name].StorageType);
            Assert.Equal(values, checkpoint.Tensors[name].ReadFloat32());
        }
        Assert.Null(checkpoint.Tokenizer);
        Assert.Null(checkpoint.ChatTemplate);
    }

    [Fact]
    public void Loading_without_a_tensor_the_config_implies_names_it()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config),
            SyntheticModel.ExpectedTensors(config).Where(tensor => tensor.Name != "model.layers.1.mlp.up_proj.weight"));

        var error = LoadingFails();

        Assert.Equal("model.layers.1.mlp.up_proj.weight", error.Item);
        Assert.Contains("[48, 32]", error.Message);
    }

    [Fact]
    public void Loading_with_an_unexpected_tensor_names_it()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config),
            SyntheticModel.ExpectedTensors(config).Append(("model.layers.2.mlp.up_proj.weight", [48, 32], new float[48 * 32])));

        Assert.Equal("model.layers.2.mlp.up_proj.weight", LoadingFails().Item);
    }

    [Fact]
    public void Loading_a_tensor_of_the_wrong_shape_names_it_and_both_shapes()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config),
            SyntheticModel.ExpectedTensors(config).Select(tensor => tensor.Name == "model.layers.0.self_attn.k_proj.weight"
                ? (tensor.Name, [32L, 32L], new float[32 * 32])
                : tensor));

        var error = LoadingFails();

        Assert.Equal("model.layers.0.self_attn.k_proj.weight", error.Item);
        Assert.Contains("[32, 32]", error.Message);
        Assert.Contains("[16, 32]", error.Message);
    }

    [Fact]
    public void Rotary_inverse_frequency_buffers_are_skipped_as_harmless()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config),
            SyntheticModel.ExpectedTensors(config).Append(("model.layers.0.self_attn.rotary_emb.inv_freq", [4], new float[4])));

        using var checkpoint = HuggingFaceCheckpointReader.Read(ModelFolder);

        Assert.DoesNotContain("model.layers.0.self_attn.rotary_emb.inv_freq", checkpoint.Tensors.Keys);
    }

    [Fact]
    public void A_tied_model_may_omit_lm_head_but_an_untied_one_may_not()
    {
        var tied = SyntheticModel.Config(tied: true);
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(tied), SyntheticModel.ExpectedTensors(tied));
        using (var checkpoint = HuggingFaceCheckpointReader.Read(ModelFolder))
            Assert.DoesNotContain("lm_head.weight", checkpoint.Tensors.Keys);

        File.WriteAllText(Path.Combine(ModelFolder, "config.json"), SyntheticModel.ConfigJson(SyntheticModel.Config()).ToJsonString());
        Assert.Equal("lm_head.weight", LoadingFails().Item);
    }

    [Fact]
    public void A_qwen2_folder_needs_its_attention_biases()
    {
        var config = SyntheticModel.Config("qwen2");
        var tensors = SyntheticModel.ExpectedTensors(config).ToList();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), tensors);
        using (var checkpoint = HuggingFaceCheckpointReader.Read(ModelFolder))
            Assert.Equal([16L], checkpoint.Tensors["model.layers.1.self_attn.k_proj.bias"].Shape);

        Directory.Delete(ModelFolder, recursive: true);
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), tensors.Where(tensor => !tensor.Name.EndsWith(".v_proj.bias")));
        Assert.Equal("model.layers.0.self_attn.v_proj.bias", LoadingFails().Item);
    }

    [Fact]
    public void A_folder_without_config_json_is_rejected()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), SyntheticModel.ExpectedTensors(config));
        File.Delete(Path.Combine(ModelFolder, "config.json"));

        Assert.Equal("config.json", LoadingFails().Item);
    }

    [Fact]
    public void A_malformed_config_json_is_rejected_naming_the_file()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), SyntheticModel.ExpectedTensors(config));
        File.WriteAllText(Path.Combine(ModelFolder, "config.json"), "{ \"model_type\": ");

        Assert.Equal(Path.Combine(ModelFolder, "config.json"), LoadingFails().FilePath);
    }

    [Fact]
    public void A_config_of_an_unknown_architecture_is_rejected()
    {
        var config = SyntheticModel.Config();
        var json = SyntheticModel.ConfigJson(config);
        json["architectures"] = new JsonArray("Phi3ForCausalLM");
        json["model_type"] = "phi3";
        SyntheticModel.WriteFolder(ModelFolder, json, SyntheticModel.ExpectedTensors(config));

        var error = LoadingFails();
        Assert.Equal("architectures", error.Item);
        Assert.Contains("Phi3ForCausalLM", error.Message);
    }

    [Fact]
    public void A_folder_without_safetensors_weights_is_rejected()
    {
        Directory.CreateDirectory(ModelFolder);
        File.WriteAllText(Path.Combine(ModelFolder, "config.json"), SyntheticModel.ConfigJson(SyntheticModel.Config()).ToJsonString());
        File.WriteAllText(Path.Combine(ModelFolder, "pytorch_model.bin"), "pickle");

        Assert.Equal("model.safetensors", LoadingFails().Item);
    }

    [Fact]
    public void A_missing_folder_is_a_format_error()
    {
        Assert.Contains("not found", LoadingFails().Message);
    }

    [Fact]
    public void A_shard_index_may_not_point_outside_the_folder()
    {
        Directory.CreateDirectory(ModelFolder);
        File.WriteAllText(Path.Combine(ModelFolder, "config.json"), SyntheticModel.ConfigJson(SyntheticModel.Config()).ToJsonString());
        File.WriteAllText(Path.Combine(ModelFolder, "model.safetensors.index.json"),
            """{ "weight_map": { "model.embed_tokens.weight": "../elsewhere.safetensors" } }""");

        Assert.Equal("model.embed_tokens.weight", LoadingFails().Item);
    }

    [Fact]
    public void A_shard_index_naming_a_missing_shard_is_rejected()
    {
        Directory.CreateDirectory(ModelFolder);
        File.WriteAllText(Path.Combine(ModelFolder, "config.json"), SyntheticModel.ConfigJson(SyntheticModel.Config()).ToJsonString());
        File.WriteAllText(Path.Combine(ModelFolder, "model.safetensors.index.json"),
            """{ "weight_map": { "model.embed_tokens.weight": "model-00001-of-00002.safetensors" } }""");

        Assert.Equal("model-00001-of-00002.safetensors", LoadingFails().Item);
    }

    [Fact]
    public void A_shard_holding_tensors_its_index_does_not_list_is_rejected()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), SyntheticModel.ExpectedTensors(config));
        File.Move(Path.Combine(ModelFolder, "model.safetensors"), Path.Combine(ModelFolder, "model-00001-of-00001.safetensors"));
        var weightMap = new JsonObject();
        foreach (var (name, _) in HuggingFaceTensorLayout.Expected(config).Skip(1)) weightMap[name] = "model-00001-of-00001.safetensors";
        File.WriteAllText(Path.Combine(ModelFolder, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = weightMap }.ToJsonString());

        Assert.Equal("model.embed_tokens.weight", LoadingFails().Item);
    }

    [Fact]
    public void The_chat_template_and_tokenizer_paths_are_exposed()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), SyntheticModel.ExpectedTensors(config));
        File.WriteAllText(Path.Combine(ModelFolder, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(ModelFolder, "tokenizer_config.json"),
            """{ "chat_template": [ { "name": "tool_use", "template": "T" }, { "name": "default", "template": "{{ messages }}" } ] }""");

        var folder = HuggingFaceFolder.Locate(ModelFolder);
        using var checkpoint = HuggingFaceCheckpointReader.Read(folder);

        Assert.Equal("{{ messages }}", checkpoint.ChatTemplate);
        Assert.Equal(Path.Combine(ModelFolder, "tokenizer.json"), folder.TokenizerJsonPath);
        Assert.Equal(Path.Combine(ModelFolder, "tokenizer_config.json"), folder.TokenizerConfigPath);
        Assert.Null(folder.GenerationConfigPath);
    }

    [Fact]
    public void A_chat_template_jinja_file_is_read_when_tokenizer_config_has_none()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), SyntheticModel.ExpectedTensors(config));
        File.WriteAllText(Path.Combine(ModelFolder, "tokenizer_config.json"), """{ "model_max_length": 128 }""");
        File.WriteAllText(Path.Combine(ModelFolder, "chat_template.jinja"), "{% for m in messages %}{{ m.content }}{% endfor %}");

        using var checkpoint = HuggingFaceCheckpointReader.Read(ModelFolder);

        Assert.Equal("{% for m in messages %}{{ m.content }}{% endfor %}", checkpoint.ChatTemplate);
    }

    [Fact]
    public void Bf16_weights_are_read_as_float32()
    {
        var config = SyntheticModel.Config();
        SyntheticModel.WriteFolder(ModelFolder, SyntheticModel.ConfigJson(config), []);
        SafetensorsWriter.Write(Path.Combine(ModelFolder, "model.safetensors"),
            SyntheticModel.ExpectedTensors(config).Select(tensor => new SafetensorsTensorToWrite(tensor.Name, tensor.Shape, SafetensorsDtype.BF16, () => tensor.Values)));

        using var checkpoint = HuggingFaceCheckpointReader.Read(ModelFolder);

        Assert.Equal("BF16", checkpoint.Tensors["model.norm.weight"].StorageType);
        Assert.Equal(32, checkpoint.Tensors["model.norm.weight"].ReadFloat32().Length);
    }
}
