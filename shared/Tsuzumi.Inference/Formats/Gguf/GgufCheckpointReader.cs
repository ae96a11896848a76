using System.Text.RegularExpressions;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// A llama / qwen2 GGUF file as a <see cref="Checkpoint"/>: hyper-parameters from <c>{arch}.*</c> metadata, tensors
/// under Hugging Face names with PyTorch shapes (GGML dimensions reversed; the bytes need no reordering).
/// Strict: unknown, missing or mis-shaped tensors are refused, naming the tensor.
/// </summary>
public static partial class GgufCheckpointReader
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["llama", "qwen2"];

    /// <summary>Opens the file; the checkpoint keeps it open for lazy tensor reads until disposed.</summary>
    public static Checkpoint Read(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            return Read(file, ownsFile: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <param name="ownsFile">Dispose <paramref name="file"/> when the checkpoint is disposed.</param>
    public static Checkpoint Read(GgufFile file, bool ownsFile = false)
    {
        var architecture = ReadArchitecture(file);
        var vocabulary = ReadVocabulary(file);
        var tensorsByHfName = MapTensors(file);
        var config = ReadConfig(file, architecture, vocabulary, tensorsByHfName);
        CheckTensorSet(file, config, tensorsByHfName);

        var tensors = tensorsByHfName.ToDictionary(
            entry => entry.Key,
            entry => new CheckpointTensor(entry.Key, entry.Value.PyTorchShape, entry.Value.Type.ToString(), () => file.ReadFloat32(entry.Value)),
            StringComparer.Ordinal);
        var chatTemplate = file.Metadata.TryGetValue("tokenizer.chat_template", out var template) ? AsString(file, "tokenizer.chat_template", template) : null;
        return new Checkpoint(file.Path, config, tensors, Tokenizer: null, chatTemplate)
        {
            OnDispose = ownsFile ? file.Dispose : null,
        };
    }

    /// <summary>The <c>tokenizer.ggml.*</c> vocabulary, or null when the file carries no tokenizer.</summary>
    public static GgufVocabulary? ReadVocabulary(GgufFile file)
    {
        if (!file.Metadata.TryGetValue("tokenizer.ggml.model", out var modelValue)) return null;
        var model = AsString(file, "tokenizer.ggml.model", modelValue);
        var tokens = Array<string>(file, "tokenizer.ggml.tokens", required: true)!;
        var scores = Array<float>(file, "tokenizer.ggml.scores", required: false);
        var tokenTypes = IntegerArray(file, "tokenizer.ggml.token_type");
        if (scores is not null && scores.Length != tokens.Length)
            throw new ModelFormatException(file.Path, "tokenizer.ggml.scores", $"has {scores.Length} entries for {tokens.Length} tokens");
        if (tokenTypes is not null && tokenTypes.Length != tokens.Length)
            throw new ModelFormatException(file.Path, "tokenizer.ggml.token_type", $"has {tokenTypes.Length} entries for {tokens.Length} tokens");
        var merges = Array<string>(file, "tokenizer.ggml.merges", required: false);
        // llama.cpp's defaults when the flags are absent: SentencePiece adds BOS, byte-level BPE does not.
        var addBos = OptionalBool(file, "tokenizer.ggml.add_bos_token") ?? model == "llama";
        var addEos = OptionalBool(file, "tokenizer.ggml.add_eos_token") ?? false;
        var pre = file.Metadata.TryGetValue("tokenizer.ggml.pre", out var preValue) ? AsString(file, "tokenizer.ggml.pre", preValue) : null;
        return new GgufVocabulary(model, tokens, scores, tokenTypes, merges,
            TokenId(file, "tokenizer.ggml.bos_token_id", tokens.Length),
            TokenId(file, "tokenizer.ggml.eos_token_id", tokens.Length),
            TokenId(file, "tokenizer.ggml.unknown_token_id", tokens.Length),
            TokenId(file, "tokenizer.ggml.padding_token_id", tokens.Length),
            addBos, addEos, pre);
    }

    private static string ReadArchitecture(GgufFile file)
    {
        const string key = "general.architecture";
        var architecture = AsString(file, key, file.GetMetadata(key));
        if (!SupportedArchitectures.Contains(architecture))
            throw new ModelFormatException(file.Path, key, $"architecture '{architecture}' is not supported (supported: {string.Join(", ", SupportedArchitectures)})");
        return architecture;
    }

    private static Dictionary<string, GgufTensorInfo> MapTensors(GgufFile file)
    {
        var mapped = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            if (info.Name == "rope_freqs.weight")
                throw new ModelFormatException(file.Path, info.Name, "llama3-style RoPE frequency factors (rope_freqs.weight) are not supported");
            var huggingFaceName = GgufTensorNames.ToHuggingFace(info.Name)
                ?? throw new ModelFormatException(file.Path, info.Name, "unknown tensor name for a llama/qwen2 model");
            mapped.Add(huggingFaceName, info);
        }
        return mapped;
    }

    private static LlamaConfig ReadConfig(GgufFile file, string arch, GgufVocabulary? vocabulary, Dictionary<string, GgufTensorInfo> tensors)
    {
        var hidden = PositiveInt(file, $"{arch}.embedding_length");
        var heads = PositiveInt(file, $"{arch}.attention.head_count");
        var headDim = OptionalPositiveInt(file, $"{arch}.attention.key_length") ?? (hidden % heads == 0 ? hidden / heads : 0);
        var ropeDimensions = OptionalPositiveInt(file, $"{arch}.rope.dimension_count");
        if (ropeDimensions is not null && headDim > 0 && ropeDimensions != headDim)
            throw new ModelFormatException(file.Path, $"{arch}.rope.dimension_count", $"partial RoPE ({ropeDimensions} of {headDim} head dimensions) is not supported");

        var vocabSize = vocabulary?.Tokens.Length
            ?? (tensors.TryGetValue("model.embed_tokens.weight", out var embedding) && embedding.Dimensions.Length == 2
                ? checked((int)Math.Min(embedding.Dimensions[1], int.MaxValue))
                : throw new ModelFormatException(file.Path, "tokenizer.ggml.tokens", "no token list and no embedding to size the vocabulary from"));

        var config = new LlamaConfig
        {
            ModelType = arch,
            VocabSize = vocabSize,
            HiddenSize = hidden,
            IntermediateSize = PositiveInt(file, $"{arch}.feed_forward_length"),
            NumHiddenLayers = PositiveInt(file, $"{arch}.block_count"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = OptionalPositiveInt(file, $"{arch}.attention.head_count_kv") ?? heads,
            HeadDim = file.Metadata.ContainsKey($"{arch}.attention.key_length") ? headDim : 0,
            MaxPositionEmbeddings = OptionalPositiveInt(file, $"{arch}.context_length") ?? 2048,
            RmsNormEps = OptionalDouble(file, $"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5,
            RopeTheta = OptionalDouble(file, $"{arch}.rope.freq_base") ?? 10000.0,
            RopeScaling = ReadRopeScaling(file, arch),
            // llama GGUFs store q/k rows for GGML's adjacent-pair ("normal") RoPE; qwen2 uses NEOX mode, which is HF's half split.
            RopeLayout = arch == "qwen2" ? RopeLayout.HalfSplit : RopeLayout.AdjacentPairs,
            TieWordEmbeddings = !tensors.ContainsKey("lm_head.weight"),
            AttentionBias = tensors.ContainsKey("model.layers.0.self_attn.q_proj.bias"),
            BosTokenId = vocabulary?.BosId,
            EosTokenId = vocabulary?.EosId,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException error)
        {
            throw new ModelFormatException(file.Path, $"{arch}.*", $"inconsistent hyper-parameters: {error.Message}", error);
        }
        return config;
    }

    private static RopeScaling? ReadRopeScaling(GgufFile file, string arch)
    {
        var typeKey = $"{arch}.rope.scaling.type";
        var type = file.Metadata.TryGetValue(typeKey, out var typeValue) ? AsString(file, typeKey, typeValue) : null;
        var factor = OptionalDouble(file, $"{arch}.rope.scaling.factor") ?? OptionalDouble(file, $"{arch}.rope.scale_linear");
        switch (type)
        {
            case null when factor is null or 1.0:
            case "none":
                return null;
            case null or "linear":
                if (factor is not > 0) throw new ModelFormatException(file.Path, $"{arch}.rope.scaling.factor", $"linear RoPE scaling needs a positive factor, was {factor?.ToString() ?? "missing"}");
                return new RopeScaling("linear", factor.Value);
            default:
                throw new ModelFormatException(file.Path, typeKey, $"RoPE scaling '{type}' is not supported (none, linear)");
        }
    }

    private static void CheckTensorSet(GgufFile file, LlamaConfig config, Dictionary<string, GgufTensorInfo> tensors)
    {
        var required = new List<string> { "model.embed_tokens.weight", "model.norm.weight" };
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            required.AddRange(GgufTensorNames.RequiredLayerParts.Select(part => $"model.layers.{layer}.{part}.weight"));
            if (config.AttentionBias)
                required.AddRange(new[] { "q_proj", "k_proj", "v_proj" }.Select(part => $"model.layers.{layer}.self_attn.{part}.bias"));
        }
        foreach (var name in required)
        {
            if (!tensors.ContainsKey(name))
                throw new ModelFormatException(file.Path, GgufTensorNames.ToGguf(name) ?? name, $"missing (expected for {name})");
        }

        foreach (var (name, info) in tensors)
        {
            var expected = ExpectedShape(name, config);
            var ggufName = info.Name;
            if (expected is null)
                throw new ModelFormatException(file.Path, ggufName, $"not part of a {config.NumHiddenLayers}-layer {config.ModelType} model");
            if (!expected.SequenceEqual(info.PyTorchShape))
                throw new ModelFormatException(file.Path, ggufName,
                    $"shape [{string.Join(", ", info.PyTorchShape)}] does not match the config's [{string.Join(", ", expected)}] for {name}");
        }
    }

    /// <summary>The PyTorch shape a tensor must have under <paramref name="config"/>; null when the name has no place in it.</summary>
    private static long[]? ExpectedShape(string name, LlamaConfig config)
    {
        long hidden = config.HiddenSize, queryWidth = (long)config.NumAttentionHeads * config.ResolvedHeadDim;
        long keyValueWidth = (long)config.NumKeyValueHeads * config.ResolvedHeadDim, ffn = config.IntermediateSize, vocab = config.VocabSize;
        switch (name)
        {
            case "model.embed_tokens.weight" or "lm_head.weight": return [vocab, hidden];
            case "model.norm.weight": return [hidden];
        }
        var match = LayerName().Match(name);
        if (!match.Success || int.Parse(match.Groups["layer"].Value) >= config.NumHiddenLayers) return null;
        return match.Groups["part"].Value switch
        {
            "input_layernorm.weight" or "post_attention_layernorm.weight" => [hidden],
            "self_attn.q_proj.weight" => [queryWidth, hidden],
            "self_attn.k_proj.weight" or "self_attn.v_proj.weight" => [keyValueWidth, hidden],
            "self_attn.o_proj.weight" => [hidden, queryWidth],
            "self_attn.q_proj.bias" => [queryWidth],
            "self_attn.k_proj.bias" or "self_attn.v_proj.bias" => [keyValueWidth],
            "self_attn.o_proj.bias" => [hidden],
            "mlp.gate_proj.weight" or "mlp.up_proj.weight" => [ffn, hidden],
            "mlp.down_proj.weight" => [hidden, ffn],
            _ => null,
        };
    }

    [GeneratedRegex(@"^model\.layers\.(?<layer>[0-9]{1,6})\.(?<part>.+)$")]
    private static partial Regex LayerName();

    private static string AsString(GgufFile file, string key, GgufValue value) =>
        value.Value as string ?? throw new ModelFormatException(file.Path, key, $"must be a string, was {value}");

    private static T[]? Array<T>(GgufFile file, string key, bool required)
    {
        if (!file.Metadata.TryGetValue(key, out var value))
            return required ? throw new ModelFormatException(file.Path, key, "required metadata key is missing") : null;
        return value.Value as T[] ?? throw new ModelFormatException(file.Path, key, $"must be an array of {typeof(T).Name}, was {value}");
    }

    /// <summary>Token types are INT32 in llama.cpp's files; other integer widths are accepted and widened.</summary>
    private static int[]? IntegerArray(GgufFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var value)) return null;
        return value.Value switch
        {
            int[] ints => ints,
            uint[] or byte[] or sbyte[] or short[] or ushort[] or long[] or ulong[] => ((Array)value.Value).Cast<object>()
                .Select(item => Convert.ToInt64(item) is var wide and >= int.MinValue and <= int.MaxValue
                    ? (int)wide
                    : throw new ModelFormatException(file.Path, key, $"value {item} does not fit in 32 bits"))
                .ToArray(),
            _ => throw new ModelFormatException(file.Path, key, $"must be an array of integers, was {value}"),
        };
    }

    private static bool? OptionalBool(GgufFile file, string key) =>
        !file.Metadata.TryGetValue(key, out var value) ? null
        : value.Value is bool flag ? flag
        : throw new ModelFormatException(file.Path, key, $"must be a bool, was {value}");

    private static int? TokenId(GgufFile file, string key, int tokenCount)
    {
        if (!file.Metadata.TryGetValue(key, out var value)) return null;
        // llama.cpp's converters write −1 (as UInt32 0xFFFFFFFF) for "no such token".
        if (value.Value is uint.MaxValue or -1 or ulong.MaxValue or -1L) return null;
        var id = Integer(file, key, value);
        // llama.cpp writes -1 (as uint32 0xFFFFFFFF) for "no such token", e.g. stories260K's padding id.
        if (id is -1 or uint.MaxValue) return null;
        if (id < 0 || id >= tokenCount) throw new ModelFormatException(file.Path, key, $"token id {id} is outside the vocabulary of {tokenCount}");
        return (int)id;
    }

    private static int PositiveInt(GgufFile file, string key) => OptionalPositiveInt(file, key)
        ?? throw new ModelFormatException(file.Path, key, "required metadata key is missing");

    private static int? OptionalPositiveInt(GgufFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var value)) return null;
        var number = Integer(file, key, value);
        if (number is <= 0 or > int.MaxValue) throw new ModelFormatException(file.Path, key, $"must be a positive 32-bit integer, was {number}");
        return (int)number;
    }

    private static long Integer(GgufFile file, string key, GgufValue value)
    {
        try
        {
            return value.AsInt64();
        }
        catch (InvalidOperationException error)
        {
            throw new ModelFormatException(file.Path, key, error.Message, error);
        }
    }

    private static double? OptionalDouble(GgufFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out var value)) return null;
        try
        {
            var number = value.AsDouble();
            return double.IsFinite(number) ? number : throw new ModelFormatException(file.Path, key, $"must be finite, was {number}");
        }
        catch (InvalidOperationException error)
        {
            throw new ModelFormatException(file.Path, key, error.Message, error);
        }
    }
}
