using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Tokenization.Pipeline;

namespace Tsuzumi.Inference.Tokenization;

/// <summary>
/// Loads a Hugging Face <c>tokenizer.json</c> (the <c>tokenizers</c> library's format): BPE or Unigram models with
/// their normalizers, pre-tokenizers, decoders, added tokens and TemplateProcessing; plus BOS/EOS flags, token names and
/// the chat template from <c>tokenizer_config.json</c>. A malformed file fails with <see cref="ModelFormatException"/>
/// naming the file and the key.
/// </summary>
public static class TokenizerJson
{
    /// <param name="tokenizerConfigPath">tokenizer_config.json; when null, the one beside <paramref name="path"/> is used if present.</param>
    public static PipelineTokenizer Load(string path, string? tokenizerConfigPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new ModelFormatException(path, null, "file not found");
        tokenizerConfigPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json") is var beside && File.Exists(beside) ? beside : null;

        using var document = Parse(path);
        using var config = tokenizerConfigPath is null ? null : Parse(tokenizerConfigPath);
        try
        {
            return new Reader(path).Build(document.RootElement, config?.RootElement, tokenizerConfigPath);
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException or IndexOutOfRangeException or KeyNotFoundException)
        {
            // A value of the wrong JSON kind somewhere the reader did not check field by field.
            throw new ModelFormatException(path, null, $"unexpected structure: {error.Message}", error);
        }
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException error)
        {
            throw new ModelFormatException(path, error.Path is { Length: > 0 } at ? at : null, $"not valid JSON: {error.Message}", error);
        }
    }

    private sealed class Reader(string path)
    {
        private ModelFormatException Error(string key, string problem, Exception? inner = null) => new(path, key, problem, inner);

        public PipelineTokenizer Build(JsonElement root, JsonElement? config, string? configPath)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error("$", "the top level must be a JSON object");
            var addedTokens = ReadAddedTokens(root);
            var model = ReadModel(Required(root, "model", "model"), addedTokens.Where(token => token.Special).Select(token => token.Id).ToHashSet());
            ITokenDecoder? decoder = Optional(root, "decoder") is { } decoderJson ? ReadDecoder(decoderJson, "decoder") : null;
            ITextNormalizer? normalizer = Optional(root, "normalizer") is { } normalizerJson ? ReadNormalizer(normalizerJson, "normalizer") : null;
            IPreTokenizer? preTokenizer = Optional(root, "pre_tokenizer") is { } preJson ? ReadPreTokenizer(preJson, "pre_tokenizer") : null;

            int? IdOfToken(string text) =>
                addedTokens.FirstOrDefault(token => token.Content == text)?.Id ?? model.IdOf(text);

            var (prefix, suffix) = Optional(root, "post_processor") is { } post ? ReadPostProcessor(post, "post_processor") : ([], []);
            var bosText = config is { } c1 ? TokenName(c1, "bos_token") : null;
            var eosText = config is { } c2 ? TokenName(c2, "eos_token") : null;
            var bosId = bosText is not null ? IdOfToken(bosText) : prefix.Length > 0 ? prefix[0] : null;
            var eosId = eosText is not null ? IdOfToken(eosText)
                : suffix.Length > 0 ? suffix[^1]
                : addedTokens.FirstOrDefault(token => token.Special && token.Content is "</s>" or "<|endoftext|>" or "<|end_of_text|>")?.Id;
            if (bosText is not null && bosId is null) throw new ModelFormatException(configPath!, "bos_token", $"'{bosText}' is not in the vocabulary");
            if (eosText is not null && eosId is null) throw new ModelFormatException(configPath!, "eos_token", $"'{eosText}' is not in the vocabulary");

            // transformers rebuilds the post-processor from these flags when the config sets them (Llama tokenizers do).
            if (config is { } c3 && c3.TryGetProperty("add_bos_token", out var addBos) && addBos.ValueKind is JsonValueKind.True or JsonValueKind.False)
                prefix = addBos.GetBoolean() && bosId is { } bos ? [bos] : [];
            if (config is { } c4 && c4.TryGetProperty("add_eos_token", out var addEos) && addEos.ValueKind is JsonValueKind.True or JsonValueKind.False)
                suffix = addEos.GetBoolean() && eosId is { } eos ? [eos] : [];

            return new PipelineTokenizer(model, normalizer, preTokenizer, decoder, addedTokens, prefix, suffix, bosId, eosId)
            {
                ChatTemplateText = config is { } c5 ? ChatTemplateOf(c5) : null,
            };
        }

        private ITokenModel ReadModel(JsonElement json, IReadOnlySet<int> specialIds)
        {
            var type = Optional(json, "type")?.GetString();
            // Old files omit the type; a merges list marks BPE.
            type ??= json.TryGetProperty("merges", out _) ? "BPE" : null;
            return type switch
            {
                "BPE" => ReadBpe(json),
                "Unigram" => ReadUnigram(json, specialIds),
                null => throw Error("model.type", "missing"),
                _ => throw Error("model.type", $"unsupported model type '{type}' (supported: BPE, Unigram)"),
            };
        }

        private BpeModel ReadBpe(JsonElement json)
        {
            var vocabJson = Required(json, "vocab", "model.vocab");
            if (vocabJson.ValueKind != JsonValueKind.Object) throw Error("model.vocab", "a BPE vocabulary must be an object of piece → id");
            var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocabJson.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                    throw Error($"model.vocab.{entry.Name}", "the id must be a non-negative integer");
                vocabulary[entry.Name] = id;
            }
            var merges = new List<(string, string)>();
            if (Optional(json, "merges") is { } mergesJson)
            {
                var index = 0;
                foreach (var merge in mergesJson.EnumerateArray())
                {
                    var key = $"model.merges[{index++}]";
                    if (merge.ValueKind == JsonValueKind.String)
                    {
                        var parts = merge.GetString()!.Split(' ');
                        if (parts.Length != 2) throw Error(key, "a merge string must be two pieces separated by one space");
                        merges.Add((parts[0], parts[1]));
                    }
                    else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                             && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                        merges.Add((merge[0].GetString()!, merge[1].GetString()!));
                    else throw Error(key, "a merge must be \"a b\" or [\"a\", \"b\"]");
                }
            }
            if (Optional(json, "continuing_subword_prefix")?.GetString() is { Length: > 0 })
                throw Error("model.continuing_subword_prefix", "continuing-subword prefixes (WordPiece-style BPE) are not supported");
            if (Optional(json, "end_of_word_suffix")?.GetString() is { Length: > 0 })
                throw Error("model.end_of_word_suffix", "end-of-word suffixes are not supported");
            return new BpeModel(vocabulary, merges,
                unknownToken: Optional(json, "unk_token")?.GetString(),
                byteFallback: Flag(json, "byte_fallback"),
                fuseUnknown: Flag(json, "fuse_unk"),
                ignoreMerges: Flag(json, "ignore_merges"),
                formatError: problem => Error("model.merges", problem));
        }

        private UnigramModel ReadUnigram(JsonElement json, IReadOnlySet<int> specialIds)
        {
            var vocabJson = Required(json, "vocab", "model.vocab");
            if (vocabJson.ValueKind != JsonValueKind.Array) throw Error("model.vocab", "a Unigram vocabulary must be an array of [piece, score]");
            var vocabulary = new List<(string, double)>(vocabJson.GetArrayLength());
            foreach (var entry in vocabJson.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String
                    || entry[1].ValueKind != JsonValueKind.Number)
                    throw Error($"model.vocab[{vocabulary.Count}]", "each entry must be [piece, score]");
                vocabulary.Add((entry[0].GetString()!, entry[1].GetDouble()));
            }
            int? unknownId = Optional(json, "unk_id") is { ValueKind: JsonValueKind.Number } unk ? unk.GetInt32() : null;
            if (unknownId is { } u && (u < 0 || u >= vocabulary.Count)) throw Error("model.unk_id", $"{u} is outside the vocabulary of {vocabulary.Count}");
            return new UnigramModel(vocabulary, unknownId, Flag(json, "byte_fallback"), specialIds);
        }

        private List<AddedToken> ReadAddedTokens(JsonElement root)
        {
            var tokens = new List<AddedToken>();
            if (Optional(root, "added_tokens") is not { } list) return tokens;
            var index = 0;
            foreach (var token in list.EnumerateArray())
            {
                var key = $"added_tokens[{index++}]";
                var id = Required(token, "id", key + ".id");
                var content = Required(token, "content", key + ".content");
                if (id.ValueKind != JsonValueKind.Number || content.ValueKind != JsonValueKind.String)
                    throw Error(key, "needs a numeric id and a string content");
                tokens.Add(new AddedToken(id.GetInt32(), content.GetString()!, Flag(token, "special"), Flag(token, "single_word"),
                    Flag(token, "lstrip"), Flag(token, "rstrip")));
            }
            return tokens;
        }

        private ITextNormalizer ReadNormalizer(JsonElement json, string key) => TypeOf(json, key) switch
        {
            "Sequence" => new SequenceNormalizer(Items(json, "normalizers", key).Select((item, i) => ReadNormalizer(item, $"{key}.normalizers[{i}]")).ToArray()),
            "Prepend" => new PrependNormalizer(RequiredString(json, "prepend", key)),
            "Replace" => new ReplaceNormalizer(Pattern(json, key), RequiredString(json, "content", key)),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            // SentencePiece's compiled nmt_nfkc map, approximated by NFKC (see docs/tokenizers.md).
            "Precompiled" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "Strip" => new StripNormalizer(Flag(json, "left"), Flag(json, "right")),
            "Lowercase" => new LowercaseNormalizer(),
            var other => throw Error(key + ".type", $"unsupported normalizer '{other}'"),
        };

        private IPreTokenizer ReadPreTokenizer(JsonElement json, string key) => TypeOf(json, key) switch
        {
            "Sequence" => new SequencePreTokenizer(Items(json, "pretokenizers", key).Select((item, i) => ReadPreTokenizer(item, $"{key}.pretokenizers[{i}]")).ToArray()),
            "Metaspace" => new MetaspacePreTokenizer(Replacement(json, key), PrependScheme(json), split: Optional(json, "split")?.ValueKind != JsonValueKind.False),
            "ByteLevel" => new ByteLevelPreTokenizer(Flag(json, "add_prefix_space"), useRegex: Optional(json, "use_regex")?.ValueKind != JsonValueKind.False),
            "Split" => new RegexSplitPreTokenizer(Pattern(json, key), Behavior(json, key), Flag(json, "invert")),
            "Digits" => new DigitsPreTokenizer(Flag(json, "individual_digits")),
            "WhitespaceSplit" => new WhitespaceSplitPreTokenizer(),
            "Whitespace" => new RegexSplitPreTokenizer(OnigurumaPattern.Compile(@"\w+|[^\w\s]+"), SplitBehavior.Removed, invert: true),
            var other => throw Error(key + ".type", $"unsupported pre-tokenizer '{other}'"),
        };

        private ITokenDecoder ReadDecoder(JsonElement json, string key) => TypeOf(json, key) switch
        {
            "Sequence" => new SequenceDecoder(Items(json, "decoders", key).Select((item, i) => ReadDecoder(item, $"{key}.decoders[{i}]")).ToArray()),
            "ByteFallback" => new ByteFallbackDecoder(),
            "ByteLevel" => new ByteLevelDecoder(),
            "Fuse" => new FuseDecoder(),
            "Replace" => new ReplaceDecoder(Pattern(json, key), RequiredString(json, "content", key)),
            "Strip" => new StripDecoder(RequiredString(json, "content", key) is { Length: 1 } c ? c[0] : throw Error(key + ".content", "must be one character"),
                Optional(json, "start")?.GetInt32() ?? 0, Optional(json, "stop")?.GetInt32() ?? 0),
            "Metaspace" => new MetaspaceDecoder(Replacement(json, key), PrependScheme(json) != "never"),
            var other => throw Error(key + ".type", $"unsupported decoder '{other}'"),
        };

        private (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonElement json, string key)
        {
            switch (TypeOf(json, key))
            {
                case "Sequence":
                    var prefix = new List<int>();
                    var suffix = new List<int>();
                    foreach (var (item, i) in Items(json, "processors", key).Select((item, i) => (item, i)))
                    {
                        var (p, s) = ReadPostProcessor(item, $"{key}.processors[{i}]");
                        prefix.AddRange(p);
                        suffix.AddRange(s);
                    }
                    return (prefix.ToArray(), suffix.ToArray());
                case "ByteLevel":
                    return ([], []);
                case "TemplateProcessing":
                    return ReadTemplate(json, key);
                case var other:
                    throw Error(key + ".type", $"unsupported post-processor '{other}'");
            }
        }

        /// <summary>The single-sequence template: special tokens before $A become the prefix, those after it the suffix.</summary>
        private (int[] Prefix, int[] Suffix) ReadTemplate(JsonElement json, string key)
        {
            var specials = Required(json, "special_tokens", key + ".special_tokens");
            var prefix = new List<int>();
            var suffix = new List<int>();
            var seenSequence = false;
            var index = 0;
            foreach (var item in Items(json, "single", key))
            {
                var itemKey = $"{key}.single[{index++}]";
                if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                if (!item.TryGetProperty("SpecialToken", out var special)) throw Error(itemKey, "expected Sequence or SpecialToken");
                var name = RequiredString(special, "id", itemKey + ".SpecialToken");
                if (!specials.TryGetProperty(name, out var entry) || !entry.TryGetProperty("ids", out var ids))
                    throw Error($"{key}.special_tokens", $"'{name}' is used in the template but not defined");
                (seenSequence ? suffix : prefix).AddRange(ids.EnumerateArray().Select(id => id.GetInt32()));
            }
            return (prefix.ToArray(), suffix.ToArray());
        }

        private Regex Pattern(JsonElement json, string key)
        {
            var pattern = Required(json, "pattern", key + ".pattern");
            try
            {
                if (pattern.TryGetProperty("String", out var literal)) return OnigurumaPattern.FromPatternObject(literal.GetString(), null);
                if (pattern.TryGetProperty("Regex", out var regex)) return OnigurumaPattern.FromPatternObject(null, regex.GetString());
            }
            catch (ArgumentException error)
            {
                throw Error(key + ".pattern", $"the regex cannot be compiled: {error.Message}", error);
            }
            throw Error(key + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
        }

        private SplitBehavior Behavior(JsonElement json, string key) => RequiredString(json, "behavior", key) switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            var other => throw Error(key + ".behavior", $"unknown split behavior '{other}'"),
        };

        private char Replacement(JsonElement json, string key) =>
            Optional(json, "replacement")?.GetString() is { } text
                ? text.Length == 1 ? text[0] : throw Error(key + ".replacement", "must be one character")
                : '\u2581';

        /// <summary>prepend_scheme, or the legacy add_prefix_space flag (true → always).</summary>
        private static string PrependScheme(JsonElement json) =>
            Optional(json, "prepend_scheme")?.GetString()
            ?? (Optional(json, "add_prefix_space")?.ValueKind == JsonValueKind.False ? "never" : "always");

        private string TypeOf(JsonElement json, string key) =>
            json.ValueKind == JsonValueKind.Object ? RequiredString(json, "type", key) : throw Error(key, "expected an object");

        private IEnumerable<JsonElement> Items(JsonElement json, string name, string key)
        {
            var items = Required(json, name, $"{key}.{name}");
            if (items.ValueKind != JsonValueKind.Array) throw Error($"{key}.{name}", "expected an array");
            return items.EnumerateArray().ToArray();
        }

        private JsonElement Required(JsonElement json, string name, string key) =>
            json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
                ? value
                : throw Error(key, "missing");

        private string RequiredString(JsonElement json, string name, string key) =>
            Required(json, name, $"{key}.{name}") is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw Error($"{key}.{name}", "expected a string");

        private static JsonElement? Optional(JsonElement json, string name) =>
            json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private static bool Flag(JsonElement json, string name) => Optional(json, name)?.ValueKind == JsonValueKind.True;

        /// <summary>bos_token/eos_token are a string or an AddedToken object with a content field.</summary>
        private static string? TokenName(JsonElement config, string name) => Optional(config, name) switch
        {
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { ValueKind: JsonValueKind.Object } token when token.TryGetProperty("content", out var content) => content.GetString(),
            _ => null,
        };

        /// <summary>chat_template is a string, or a list of {name, template} where "default" wins.</summary>
        private static string? ChatTemplateOf(JsonElement config) => Optional(config, "chat_template") switch
        {
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { ValueKind: JsonValueKind.Array } list => list.EnumerateArray()
                .Select(item => (Name: Optional(item, "name")?.GetString(), Template: Optional(item, "template")?.GetString()))
                .OrderByDescending(item => item.Name == "default").FirstOrDefault().Template,
            _ => null,
        };
    }
}
