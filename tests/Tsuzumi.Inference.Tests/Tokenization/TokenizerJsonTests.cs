using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Tests.Tokenization;

public sealed class TokenizerJsonTests : IDisposable
{
    private readonly SyntheticTokenizerFiles _files = new();

    public void Dispose() => _files.Dispose();

    private ITokenizer ByteLevel() => TokenizerJson.Load(_files.Write("qwen2-like.json", SyntheticTokenizerFiles.ByteLevelBpe()));

    private ITokenizer ByteFallback() => TokenizerJson.Load(_files.Write("llama2-like.json", SyntheticTokenizerFiles.ByteFallbackBpe()));

    [Fact]
    public void Byte_level_bpe_merges_words_and_keeps_the_space_with_the_following_word()
    {
        var tokenizer = ByteLevel();
        Assert.Equal([259, 264], tokenizer.Encode("hello world"));
        // The regex leaves one space alone before " world": "hello", " ", " world".
        Assert.Equal([259, 32, 264], tokenizer.Encode("hello  world"));
        Assert.Equal("hello  world", tokenizer.Decode([259, 32, 264]));
    }

    [Fact]
    public void Byte_level_bpe_splits_digits_one_by_one_like_qwen2()
    {
        Assert.Equal([(int)'2', '0', '2', '4'], ByteLevel().Encode("2024"));
    }

    [Theory]
    [InlineData("日本語")]
    [InlineData("a😀b")]
    [InlineData("naïve\r\nline")]
    [InlineData("𠮷野家")]
    public void Byte_level_bpe_round_trips_any_text_through_its_utf8_bytes(string text)
    {
        var tokenizer = ByteLevel();
        var ids = tokenizer.Encode(text);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(text).Length, ids.Count(id => id < 256));
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void Chat_markers_are_single_tokens_only_when_special_tokens_are_parsed()
    {
        var tokenizer = ByteLevel();
        var parsed = tokenizer.Encode("<|im_start|>user\nhello<|im_end|>", parseSpecialTokens: true);
        Assert.Equal(265, parsed[0]);
        Assert.Equal(266, parsed[^1]);
        Assert.Contains(259, parsed);

        var literal = tokenizer.Encode("<|im_start|>", parseSpecialTokens: false);
        Assert.DoesNotContain(265, literal);
        Assert.Equal("<|im_start|>", tokenizer.Decode(literal));
    }

    [Fact]
    public void Special_tokens_are_dropped_from_decoded_text_unless_kept()
    {
        var tokenizer = ByteLevel();
        int[] ids = [265, 259, 266];
        Assert.Equal("hello", tokenizer.Decode(ids));
        Assert.Equal("<|im_start|>hello<|im_end|>", tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(new HashSet<int> { 266, 267 }, tokenizer.EndOfGenerationIds.ToHashSet());
    }

    [Fact]
    public void Byte_fallback_bpe_prepends_the_space_marker_and_adds_bos_from_the_template()
    {
        var tokenizer = ByteFallback();
        Assert.Equal([1, 268], tokenizer.Encode("hello"));
        Assert.Equal([268], tokenizer.Encode("hello", addSpecialTokens: false));
        Assert.Equal(1, tokenizer.BosId);
    }

    [Fact]
    public void Byte_fallback_bpe_spells_unknown_characters_as_byte_tokens_and_decodes_them_back()
    {
        var tokenizer = ByteFallback();
        var ids = tokenizer.Encode("hello 日", addSpecialTokens: false);
        Assert.Equal([268, 259, 3 + 0xE6, 3 + 0x97, 3 + 0xA5], ids);
        Assert.Equal("hello 日", tokenizer.Decode(ids));
    }

    [Fact]
    public void Byte_fallback_decoding_strips_only_the_first_tokens_leading_space()
    {
        var tokenizer = ByteFallback();
        Assert.Equal("hello"u8.ToArray(), tokenizer.TokenBytes(268, isFirstToken: true));
        Assert.Equal(" hello"u8.ToArray(), tokenizer.TokenBytes(268, isFirstToken: false));
        Assert.Equal("hello hello", tokenizer.Decode([1, 268, 268]));
    }

    [Fact]
    public void Tokenizer_config_flags_and_chat_template_are_read()
    {
        var json = _files.Write("tokenizer.json", SyntheticTokenizerFiles.ByteFallbackBpe());
        var config = _files.Write("tokenizer_config.json",
            """{"add_bos_token": false, "add_eos_token": true, "bos_token": {"content": "<s>"}, "eos_token": "</s>", "chat_template": "{% for m in messages %}[INST]{% endfor %}"}""");
        var tokenizer = TokenizerJson.Load(json, config);

        Assert.Equal([268, 2], tokenizer.Encode("hello"));
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal(ChatFormat.Llama2, ChatTemplate.Detect(tokenizer.ChatTemplateText, tokenizer).Format);
    }

    [Fact]
    public void Text_that_is_not_json_is_a_format_error_naming_the_file()
    {
        var path = _files.Write("broken.json", "{ \"model\": { \"type\": \"BPE\", ");
        var error = Assert.Throws<ModelFormatException>(() => TokenizerJson.Load(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void An_unknown_model_type_is_a_format_error_naming_the_key()
    {
        var path = _files.Write("wordpiece.json", """{"model": {"type": "WordPiece", "vocab": {}}}""");
        var error = Assert.Throws<ModelFormatException>(() => TokenizerJson.Load(path));
        Assert.Equal("model.type", error.Item);
        Assert.Contains("WordPiece", error.Message);
    }

    [Fact]
    public void A_missing_vocabulary_is_a_format_error_naming_the_key()
    {
        var path = _files.Write("novocab.json", """{"model": {"type": "Unigram", "unk_id": 0}}""");
        var error = Assert.Throws<ModelFormatException>(() => TokenizerJson.Load(path));
        Assert.Equal("model.vocab", error.Item);
    }

    [Fact]
    public void A_merge_of_unknown_pieces_is_a_format_error()
    {
        var path = _files.Write("badmerge.json", """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}}""");
        var error = Assert.Throws<ModelFormatException>(() => TokenizerJson.Load(path));
        Assert.Equal("model.merges", error.Item);
    }

    [Fact]
    public void A_regex_dotnet_cannot_compile_is_a_format_error_naming_the_pre_tokenizer()
    {
        var path = _files.Write("badregex.json",
            """{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        var error = Assert.Throws<ModelFormatException>(() => TokenizerJson.Load(path));
        Assert.Equal("pre_tokenizer.pattern", error.Item);
    }

    [Fact]
    public void A_missing_file_is_a_format_error()
    {
        Assert.Throws<ModelFormatException>(() => TokenizerJson.Load(Path.Combine(Path.GetTempPath(), "no-such-tokenizer.json")));
    }
}
