using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Tests.Formats.HuggingFace;

public sealed class HuggingFaceConfigTests : IDisposable
{
    private readonly TemporaryFolder folder = new();

    public void Dispose() => folder.Dispose();

    private LlamaConfig ReadConfig(string json)
    {
        var path = folder.Combine("config.json");
        File.WriteAllText(path, json);
        return HuggingFaceConfig.Read(path);
    }

    private ModelFormatException Rejects(string json) => Assert.Throws<ModelFormatException>(() => ReadConfig(json));

    private const string MinimalLlama = """
        "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4
        """;

    [Fact]
    public void Every_field_of_a_llama3_config_maps_onto_the_model_config()
    {
        var config = ReadConfig("""
            {
              "architectures": ["LlamaForCausalLM"], "model_type": "llama",
              "vocab_size": 128256, "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
              "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "max_position_embeddings": 131072,
              "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": true, "attention_bias": false,
              "hidden_act": "silu", "mlp_bias": false, "torch_dtype": "bfloat16",
              "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
              "rope_scaling": { "factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                "original_max_position_embeddings": 8192, "rope_type": "llama3" }
            }
            """);

        Assert.Equal("llama", config.ModelType);
        Assert.Equal(128256, config.VocabSize);
        Assert.Equal(2048, config.HiddenSize);
        Assert.Equal(8192, config.IntermediateSize);
        Assert.Equal(16, config.NumHiddenLayers);
        Assert.Equal(32, config.NumAttentionHeads);
        Assert.Equal(8, config.NumKeyValueHeads);
        Assert.Equal(64, config.HeadDim);
        Assert.Equal(131072, config.MaxPositionEmbeddings);
        Assert.Equal(1e-5, config.RmsNormEps);
        Assert.Equal(500000.0, config.RopeTheta);
        Assert.True(config.TieWordEmbeddings);
        Assert.False(config.AttentionBias);
        Assert.Equal(RopeLayout.HalfSplit, config.RopeLayout);
        Assert.Equal(128000, config.BosTokenId);
        Assert.Equal(128001, config.EosTokenId);
        Assert.Equal(new RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), config.RopeScaling);
    }

    [Fact]
    public void Absent_optional_fields_take_transformers_defaults()
    {
        var config = ReadConfig($$"""{ "model_type": "llama", {{MinimalLlama}} }""");

        Assert.Equal(4, config.NumKeyValueHeads); // defaults to the query heads
        Assert.Equal(0, config.HeadDim);
        Assert.Equal(8, config.ResolvedHeadDim);
        Assert.Equal(1e-6, config.RmsNormEps);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.False(config.TieWordEmbeddings);
        Assert.Null(config.RopeScaling);
        Assert.Null(config.BosTokenId);
        Assert.Null(config.EosTokenId);
    }

    [Fact]
    public void The_architecture_alone_identifies_the_model_type()
    {
        Assert.Equal("mistral", ReadConfig($$"""{ "architectures": ["MistralForCausalLM"], {{MinimalLlama}} }""").ModelType);
    }

    [Theory]
    [InlineData("""{ "type": "linear", "factor": 2.0 }""", "linear", 2.0)]
    [InlineData("""{ "rope_type": "linear", "factor": 4 }""", "linear", 4.0)]
    public void Linear_rope_scaling_is_read_under_either_key(string scaling, string type, double factor)
    {
        var config = ReadConfig($$"""{ "model_type": "llama", {{MinimalLlama}}, "rope_scaling": {{scaling}} }""");
        Assert.Equal(new RopeScaling(type, factor), config.RopeScaling);
    }

    [Fact]
    public void Default_rope_scaling_means_none()
    {
        Assert.Null(ReadConfig($$"""{ "model_type": "llama", {{MinimalLlama}}, "rope_scaling": { "rope_type": "default" } }""").RopeScaling);
    }

    [Fact]
    public void Transformers_5_rope_parameters_supply_theta_and_scaling()
    {
        var config = ReadConfig($$"""{ "model_type": "llama", {{MinimalLlama}}, "rope_parameters": { "rope_type": "linear", "factor": 2.0, "rope_theta": 1000000.0 } }""");
        Assert.Equal(1000000.0, config.RopeTheta);
        Assert.Equal(new RopeScaling("linear", 2.0), config.RopeScaling);
    }

    [Theory]
    [InlineData("""{ "rope_type": "yarn", "factor": 4.0 }""", "rope_scaling.rope_type")]
    [InlineData("""{ "type": "dynamic", "factor": 4.0 }""", "rope_scaling.rope_type")]
    [InlineData("""{ "rope_type": "llama3", "factor": 8.0 }""", "rope_scaling.low_freq_factor")]
    [InlineData("""{ "rope_type": "linear" }""", "rope_scaling.factor")]
    public void Unsupported_or_incomplete_rope_scaling_is_rejected_by_key(string scaling, string key)
    {
        var error = Rejects($$"""{ "model_type": "llama", {{MinimalLlama}}, "rope_scaling": {{scaling}} }""");
        Assert.Equal(key, error.Item);
    }

    [Fact]
    public void A_qwen2_config_always_has_attention_bias()
    {
        var config = ReadConfig("""
            { "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896,
              "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
              "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768,
              "use_sliding_window": false, "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645,
              "hidden_act": "silu", "torch_dtype": "bfloat16" }
            """);

        Assert.Equal("qwen2", config.ModelType);
        Assert.True(config.AttentionBias);
        Assert.Equal(64, config.ResolvedHeadDim);
        Assert.Equal(32768, config.MaxPositionEmbeddings);
        Assert.Equal(151645, config.EosTokenId);
    }

    [Fact]
    public void A_mistral_sliding_window_caps_the_context_so_attention_stays_exact()
    {
        var config = ReadConfig($$"""{ "model_type": "mistral", {{MinimalLlama}}, "max_position_embeddings": 32768, "sliding_window": 4096 }""");
        Assert.Equal(4096, config.MaxPositionEmbeddings);
    }

    [Theory]
    [InlineData("""{ "architectures": ["GPT2LMHeadModel"], "vocab_size": 1 }""", "architectures")]
    [InlineData("""{ "model_type": "gemma", "vocab_size": 1 }""", "model_type")]
    [InlineData("""{ "vocab_size": 1 }""", "model_type")]
    public void An_unknown_architecture_is_rejected_by_name(string json, string key)
    {
        Assert.Equal(key, Rejects(json).Item);
    }

    [Theory]
    [InlineData(""", "hidden_act": "gelu" """, "hidden_act")]
    [InlineData(""", "mlp_bias": true """, "mlp_bias")]
    [InlineData(""", "attention_bias": true """, "attention_bias")]
    [InlineData(""", "num_key_value_heads": "two" """, "num_key_value_heads")]
    [InlineData(""", "rms_norm_eps": true """, "rms_norm_eps")]
    [InlineData(""", "eos_token_id": ["x"] """, "eos_token_id")]
    public void A_field_this_runtime_cannot_honour_is_rejected_by_key(string extra, string key)
    {
        Assert.Equal(key, Rejects($$"""{ "model_type": "llama", {{MinimalLlama}} {{extra}} }""").Item);
    }

    [Fact]
    public void A_missing_required_field_is_named()
    {
        Assert.Equal("hidden_size", Rejects("""{ "model_type": "llama", "vocab_size": 64, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4 }""").Item);
    }

    [Theory]
    [InlineData("""{ "model_type": "llama", """)]
    [InlineData("""[]""")]
    public void A_malformed_config_is_a_format_error_naming_the_file(string json)
    {
        var error = Rejects(json);
        Assert.EndsWith("config.json", error.FilePath);
    }

    [Fact]
    public void Impossible_dimensions_are_rejected()
    {
        var error = Rejects($$"""{ "model_type": "llama", {{MinimalLlama}}, "num_key_value_heads": 3 }""");
        Assert.Contains("multiple of num_key_value_heads", error.Message);
    }

    [Fact]
    public void Written_config_reads_back_to_the_same_config()
    {
        var original = SyntheticModel.Config() with
        {
            RopeScaling = new RopeScaling("llama3", 8, 1, 4, 8192),
            TieWordEmbeddings = true,
            HeadDim = 8,
        };

        var json = HuggingFaceConfig.ToJson(original, SafetensorsDtype.BF16);
        var read = ReadConfig(json.ToJsonString());

        Assert.Equal(original, read);
        Assert.Equal("LlamaForCausalLM", json["architectures"]![0]!.GetValue<string>());
        Assert.Equal("bfloat16", json["torch_dtype"]!.GetValue<string>());
    }

    [Fact]
    public void A_qwen2_config_is_written_as_qwen2_and_a_llama_with_bias_is_refused()
    {
        Assert.Equal("Qwen2ForCausalLM", HuggingFaceConfig.ToJson(SyntheticModel.Config("qwen2"), SafetensorsDtype.F32)["architectures"]![0]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => HuggingFaceConfig.ToJson(SyntheticModel.Config() with { AttentionBias = true }, SafetensorsDtype.F32));
        Assert.Throws<ArgumentException>(() => HuggingFaceConfig.ToJson(SyntheticModel.Config(), SafetensorsDtype.I64));
    }
}
