using System.Text.Json;
using System.Text.Json.Nodes;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Formats.HuggingFace;

/// <summary>
/// Maps transformers' <c>config.json</c> to <see cref="LlamaConfig"/> and back. Only what changes the computation is
/// read; anything this runtime cannot compute the same way (another activation, an MLP bias, unknown RoPE scaling) is
/// refused by name rather than silently approximated.
/// </summary>
public static class HuggingFaceConfig
{
    private static readonly Dictionary<string, string> ModelTypeByArchitecture = new(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = "llama",
        ["MistralForCausalLM"] = "mistral",
        ["Qwen2ForCausalLM"] = "qwen2",
    };

    /// <summary>Reads and validates a config.json.</summary>
    /// <exception cref="ModelFormatException">Malformed JSON, a missing or impossible field, or an unsupported architecture.</exception>
    public static LlamaConfig Read(string configPath)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException(configPath, null, $"not valid JSON: {exception.Message}", exception);
        }
        catch (IOException exception)
        {
            throw new ModelFormatException(configPath, null, $"cannot be read: {exception.Message}", exception);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(configPath, null, $"must be a JSON object, found {root.ValueKind}");

        var fields = new ConfigFields(configPath, root);
        var modelType = ResolveModelType(fields);
        if (fields.String("hidden_act") is { } activation && activation != "silu")
            throw new ModelFormatException(configPath, "hidden_act", $"'{activation}' is not supported (only silu)");
        if (fields.Bool("mlp_bias") == true)
            throw new ModelFormatException(configPath, "mlp_bias", "MLP biases are not supported");
        var attentionBias = modelType == "qwen2" || fields.Bool("attention_bias") == true;
        if (attentionBias && modelType != "qwen2")
            throw new ModelFormatException(configPath, "attention_bias",
                "Llama's attention_bias also biases o_proj, which this runtime does not support (Qwen2's q/k/v-only bias is)");

        var heads = fields.RequiredInt("num_attention_heads");
        var ropeParameters = fields.Object("rope_parameters"); // transformers 5 moved rope_theta and scaling here
        var maxPositions = fields.Int("max_position_embeddings") ?? 2048;
        var config = new LlamaConfig
        {
            ModelType = modelType,
            VocabSize = fields.RequiredInt("vocab_size"),
            HiddenSize = fields.RequiredInt("hidden_size"),
            IntermediateSize = fields.RequiredInt("intermediate_size"),
            NumHiddenLayers = fields.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = fields.Int("num_key_value_heads") ?? heads,
            HeadDim = fields.Int("head_dim") ?? 0,
            MaxPositionEmbeddings = ClampToSlidingWindow(fields, modelType, maxPositions),
            RmsNormEps = fields.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = fields.Double("rope_theta") ?? ropeParameters?.Double("rope_theta") ?? 10000.0,
            RopeScaling = ReadRopeScaling(fields.Object("rope_scaling") ?? ropeParameters),
            RopeLayout = RopeLayout.HalfSplit,
            TieWordEmbeddings = fields.Bool("tie_word_embeddings") ?? false,
            AttentionBias = attentionBias,
            BosTokenId = fields.FirstInt("bos_token_id"),
            EosTokenId = fields.FirstInt("eos_token_id"),
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new ModelFormatException(configPath, null, exception.Message, exception);
        }
        return config;
    }

    /// <summary>The config.json transformers needs to rebuild <paramref name="config"/>, with weights stored as <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentException">The configuration has no transformers counterpart.</exception>
    public static JsonObject ToJson(LlamaConfig config, SafetensorsDtype dtype)
    {
        config.Validate();
        var architecture = ModelTypeByArchitecture.FirstOrDefault(pair => pair.Value == config.ModelType).Key
            ?? throw new ArgumentException($"model_type '{config.ModelType}' has no transformers architecture here (llama, mistral, qwen2)");
        if (config.AttentionBias && config.ModelType != "qwen2")
            throw new ArgumentException("a q/k/v-only attention bias is expressible in transformers only as qwen2");

        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = config.ModelType,
            ["vocab_size"] = config.VocabSize,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumHiddenLayers,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["num_key_value_heads"] = config.NumKeyValueHeads,
            ["head_dim"] = config.ResolvedHeadDim,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = config.MaxPositionEmbeddings,
            ["rms_norm_eps"] = config.RmsNormEps,
            ["rope_theta"] = config.RopeTheta,
            ["rope_scaling"] = RopeScalingJson(config.RopeScaling),
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["attention_bias"] = config.AttentionBias,
            ["bos_token_id"] = config.BosTokenId,
            ["eos_token_id"] = config.EosTokenId,
            ["torch_dtype"] = TorchDtypeName(dtype),
            ["use_cache"] = true,
        };
        if (config.ModelType == "llama") json["mlp_bias"] = false;
        if (config.ModelType == "mistral") json["sliding_window"] = null;
        if (config.ModelType == "qwen2") json["use_sliding_window"] = false;
        return json;
    }

    /// <summary>transformers' name for a stored type: <c>float32</c>, <c>bfloat16</c>, <c>float16</c>.</summary>
    public static string TorchDtypeName(SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.F32 => "float32",
        SafetensorsDtype.BF16 => "bfloat16",
        SafetensorsDtype.F16 => "float16",
        _ => throw new ArgumentException($"{dtype} is not a weight type transformers loads (F32, BF16, F16)"),
    };

    private static string ResolveModelType(ConfigFields fields)
    {
        var modelType = fields.String("model_type");
        var architectures = fields.StringArray("architectures");
        if (architectures is { Count: > 0 } && !ModelTypeByArchitecture.ContainsKey(architectures[0]))
            throw new ModelFormatException(fields.Path, "architectures",
                $"'{architectures[0]}' is not supported ({string.Join(", ", ModelTypeByArchitecture.Keys)})");
        modelType ??= architectures is { Count: > 0 } ? ModelTypeByArchitecture[architectures[0]] : null;
        if (modelType is null)
            throw new ModelFormatException(fields.Path, "model_type", "missing, and no architectures to infer it from");
        if (!ModelTypeByArchitecture.ContainsValue(modelType))
            throw new ModelFormatException(fields.Path, "model_type", $"'{modelType}' is not supported (llama, mistral, qwen2)");
        return modelType;
    }

    /// <summary>
    /// Within its window, sliding-window attention is plain causal attention; capping the context at the window
    /// keeps this runtime exact instead of silently attending further back than the model was built to.
    /// </summary>
    private static int ClampToSlidingWindow(ConfigFields fields, string modelType, int maxPositions)
    {
        var windowApplies = modelType switch
        {
            "mistral" => true,
            "qwen2" => fields.Bool("use_sliding_window") == true,
            _ => false,
        };
        return windowApplies && fields.Int("sliding_window") is { } window && window > 0 ? Math.Min(maxPositions, window) : maxPositions;
    }

    private static RopeScaling? ReadRopeScaling(ConfigFields? scaling)
    {
        if (scaling is null) return null;
        var type = scaling.String("rope_type") ?? scaling.String("type");
        switch (type)
        {
            case null or "default":
                return null;
            case "linear":
                return new RopeScaling("linear", scaling.RequiredDouble("factor"));
            case "llama3":
                return new RopeScaling("llama3",
                    scaling.RequiredDouble("factor"),
                    scaling.RequiredDouble("low_freq_factor"),
                    scaling.RequiredDouble("high_freq_factor"),
                    scaling.RequiredInt("original_max_position_embeddings"));
            default:
                throw new ModelFormatException(scaling.Path, $"{scaling.Prefix}rope_type",
                    $"'{type}' is not supported (linear, llama3)");
        }
    }

    private static JsonNode? RopeScalingJson(RopeScaling? scaling) => scaling switch
    {
        null => null,
        { Type: "linear" } => new JsonObject { ["rope_type"] = "linear", ["factor"] = scaling.Factor },
        _ => new JsonObject
        {
            ["rope_type"] = scaling.Type,
            ["factor"] = scaling.Factor,
            ["low_freq_factor"] = scaling.LowFrequencyFactor,
            ["high_freq_factor"] = scaling.HighFrequencyFactor,
            ["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings,
        },
    };

    /// <summary>Typed access to one JSON object's fields; every mistake names the file and the key.</summary>
    private sealed class ConfigFields(string path, JsonElement element, string prefix = "")
    {
        public string Path => path;

        public string Prefix => prefix;

        private JsonElement? Get(string key) =>
            element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private ModelFormatException Wrong(string key, string expected, JsonElement value) =>
            new(path, prefix + key, $"must be {expected}, found {value.GetRawText()}");

        public int? Int(string key) => Get(key) is not { } value ? null
            : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
            : throw Wrong(key, "an integer", value);

        public int RequiredInt(string key) => Int(key) ?? throw new ModelFormatException(path, prefix + key, "missing");

        public double? Double(string key) => Get(key) is not { } value ? null
            : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) ? number
            : throw Wrong(key, "a number", value);

        public double RequiredDouble(string key) => Double(key) ?? throw new ModelFormatException(path, prefix + key, "missing");

        public bool? Bool(string key) => Get(key) is not { } value ? null
            : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
            : throw Wrong(key, "true or false", value);

        public string? String(string key) => Get(key) is not { } value ? null
            : value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw Wrong(key, "a string", value);

        public IReadOnlyList<string>? StringArray(string key) => Get(key) is not { } value ? null
            : value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String)
                ? value.EnumerateArray().Select(item => item.GetString()!).ToList()
                : throw Wrong(key, "an array of strings", value);

        public ConfigFields? Object(string key) => Get(key) is not { } value ? null
            : value.ValueKind == JsonValueKind.Object ? new ConfigFields(path, value, $"{prefix}{key}.")
            : throw Wrong(key, "an object", value);

        /// <summary>A token id that may be given as a list (several end tokens): the first one.</summary>
        public int? FirstInt(string key)
        {
            if (Get(key) is not { } value) return null;
            if (value.ValueKind == JsonValueKind.Array)
            {
                var first = value.EnumerateArray().FirstOrDefault();
                return first.ValueKind == JsonValueKind.Number && first.TryGetInt32(out var id) ? id
                    : value.GetArrayLength() == 0 ? null : throw Wrong(key, "an integer or a list of integers", value);
            }
            return Int(key);
        }
    }
}
