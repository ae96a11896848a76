using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Tokenization.Pipeline;

namespace Tsuzumi.Inference.Tests.Tokenization;

public sealed class GgufTokenizerTests
{
    /// <summary>A gpt2-model vocabulary: 256 byte-level characters, "hello" and "Ġworld" merges, and a control &lt;|eot_id|&gt;.</summary>
    private static GgufVocabulary Gpt2Vocabulary(string? pre)
    {
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.CharFor((byte)b).ToString()).ToList();
        string[] merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"];
        tokens.AddRange(merges.Select(merge => merge.Replace(" ", "")));
        tokens.Add("<|begin_of_text|>");
        tokens.Add("<|eot_id|>");
        var types = Enumerable.Repeat(1, tokens.Count).ToArray();
        types[^1] = types[^2] = 3;
        return new GgufVocabulary("gpt2", tokens.ToArray(), null, types, merges, BosId: tokens.Count - 2, EosId: null, UnknownId: null,
            PaddingId: null, AddBos: true, AddEos: false, Pre: pre);
    }

    [Fact]
    public void A_gpt2_vocabulary_becomes_byte_level_bpe_with_its_bos()
    {
        var tokenizer = GgufTokenizer.Create(Gpt2Vocabulary("llama-bpe"));
        Assert.Equal([265, 259, 264], tokenizer.Encode("hello world"));
        Assert.Equal("hello world", tokenizer.Decode(tokenizer.Encode("hello world")));
        Assert.Contains(266, tokenizer.EndOfGenerationIds);
    }

    [Fact]
    public void Llama3_and_qwen2_pre_tokenizers_round_trip_digits_and_parse_control_tokens()
    {
        var tokenizer = GgufTokenizer.Create(Gpt2Vocabulary("llama-bpe"));
        var qwen = GgufTokenizer.Create(Gpt2Vocabulary("qwen2"));
        Assert.Equal("12345", tokenizer.Decode(tokenizer.Encode("12345")));
        Assert.Equal(qwen.Encode("12345", addSpecialTokens: false), tokenizer.Encode("12345", addSpecialTokens: false));
        Assert.Equal([265, 265], tokenizer.Encode("<|begin_of_text|>", parseSpecialTokens: true));
    }

    [Fact]
    public void A_llama_vocabulary_becomes_sentencepiece_bpe()
    {
        var vocabulary = new GgufVocabulary("llama", ["<unk>", "<s>", "</s>", "▁", "a", "▁a"], [0, 0, 0, -1, -1, -0.5f], [2, 3, 3, 1, 1, 1],
            null, 1, 2, 0, null, AddBos: true, AddEos: false, Pre: null);
        var tokenizer = GgufTokenizer.Create(vocabulary);
        Assert.IsType<SentencePieceBpeTokenizer>(tokenizer);
        Assert.Equal([1, 5, 5], tokenizer.Encode("a a"));
    }

    [Theory]
    [InlineData("bert", null, "tokenizer.ggml.model")]
    [InlineData("gpt2", "tekken", "tokenizer.ggml.pre")]
    public void An_unsupported_tokenizer_is_a_format_error_naming_the_key(string model, string? pre, string key)
    {
        var vocabulary = Gpt2Vocabulary(pre) with { Model = model };
        var error = Assert.Throws<ModelFormatException>(() => GgufTokenizer.Create(vocabulary, "model.gguf"));
        Assert.Equal(key, error.Item);
        Assert.Equal("model.gguf", error.FilePath);
    }
}
