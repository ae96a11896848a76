using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Tokenization;

/// <summary>The GGUF SentencePiece-BPE tokenizer against llama.cpp's own tokenizer (through LLamaSharp) on stories260K.</summary>
public sealed class SentencePieceBpeTokenizerTests : IClassFixture<SentencePieceBpeTokenizerTests.Stories260K>
{
    public sealed class Stories260K : IDisposable
    {
        private readonly Lazy<(SentencePieceBpeTokenizer Ours, LLamaWeights Oracle)> _loaded = new(() =>
        {
            var path = RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
            var ours = new SentencePieceBpeTokenizer(GgufVocabularyTestReader.Read(path), path);
            var oracle = LLamaWeights.LoadFromFile(new ModelParams(path) { GpuLayerCount = 0 });
            return (ours, oracle);
        });

        public SentencePieceBpeTokenizer Ours => Load().Ours;
        public LLamaWeights Oracle => Load().Oracle;

        private (SentencePieceBpeTokenizer Ours, LLamaWeights Oracle) Load()
        {
            // Skips (not fails) when the shared model is missing; RequireSharedFile throws the skip each time.
            RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
            return _loaded.Value;
        }

        public void Dispose()
        {
            if (_loaded.IsValueCreated) _loaded.Value.Oracle.Dispose();
        }
    }

    private readonly Stories260K _model;

    public SentencePieceBpeTokenizerTests(Stories260K model) => _model = model;

    public static TheoryData<string> Texts =>
    [
        "",
        "Hello",
        "Hello world",
        "Once upon a time, there was a little girl named Lily.",
        "She loved to play outside in the park with her dog.",
        " leading space",
        "trailing space ",
        "  two leading spaces",
        "many     inner     spaces",
        "\ttab\tseparated\t",
        "line one\nline two\n",
        "\n\nblank lines\n\n\n",
        "Windows\r\nline endings",
        "1234567890",
        "The year 2024 had 366 days.",
        "3.14159 + 2.71828 = 5.85987",
        "Punctuation!?.,;:'\"()[]{}<>",
        "don't won't can't it's we're",
        "e-mail: someone@example.com",
        "CamelCaseWordsAndALLCAPS",
        "naïve café résumé",
        "Über straße",
        "日本語のテキスト",
        "こんにちは、世界！",
        "東京は日本の首都です。",
        "Emoji 😀🎉👍🏽 mixed",
        "🦙",
        "Mixed 日本 and English",
        "Ελληνικά и русский",
        "a",
        " ",
        "   ",
        "\n",
        "<s> is not special unless parsed",
        "Tom and Jim were friends. They liked to share their toys.",
        "\"Can I have some cake?\" asked the boy.",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Encoding_matches_llama_cpp_token_for_token(string text)
    {
        foreach (var addBos in new[] { true, false })
        {
            var expected = _model.Oracle.Tokenize(text, addBos, special: false, Encoding.UTF8).Select(token => (int)token).ToArray();
            var actual = _model.Ours.Encode(text, addSpecialTokens: addBos).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Decoding_matches_llama_cpp_detokenisation(string text)
    {
        var ids = _model.Ours.Encode(text, addSpecialTokens: false);
        Assert.Equal(LlamaCppDetokenize(ids), _model.Ours.Decode(ids));
    }

    [Theory]
    [InlineData("<s>Hello</s>")]
    [InlineData("before<unk>after")]
    [InlineData("<s><s> twice")]
    public void Special_token_text_is_recognised_only_when_asked_as_llama_cpp_does(string text)
    {
        foreach (var parse in new[] { true, false })
        {
            var expected = _model.Oracle.Tokenize(text, true, special: parse, Encoding.UTF8).Select(token => (int)token).ToArray();
            Assert.Equal(expected, _model.Ours.Encode(text, addSpecialTokens: true, parseSpecialTokens: parse).ToArray());
        }
    }

    [Fact]
    public void Every_token_renders_the_bytes_llama_cpp_gives_it()
    {
        var handle = _model.Oracle.NativeHandle;
        var buffer = new byte[256];
        for (var id = 0; id < _model.Ours.VocabularySize; id++)
        {
            foreach (var first in new[] { false, true })
            {
                var written = handle.TokenToSpan((LLamaToken)id, buffer, lstrip: first ? 1 : 0, special: true);
                Assert.Equal(buffer.AsSpan(0, (int)written).ToArray(), _model.Ours.TokenBytes(id, first));
            }
        }
    }

    [Fact]
    public void A_leading_bos_is_skipped_without_keeping_the_first_words_space()
    {
        var ids = _model.Ours.Encode("Hello world", addSpecialTokens: true);
        Assert.Equal(1, ids[0]);
        Assert.Equal("Hello world", _model.Ours.Decode(ids));
        // Rendered, the BOS is the first piece, so the word keeps its space (llama.cpp and HF agree).
        Assert.Equal("<s> Hello world", _model.Ours.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void The_vocabulary_names_its_special_tokens()
    {
        var tokenizer = _model.Ours;
        Assert.Equal(512, tokenizer.VocabularySize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal(new HashSet<int> { 2 }, tokenizer.EndOfGenerationIds);
        Assert.Equal("<0x41>", tokenizer.TokenText(3 + 0x41));
        Assert.True(tokenizer.IsSpecial(1));
        Assert.False(tokenizer.IsSpecial(3 + 0x41));
    }

    [Fact]
    public void Japanese_falls_back_to_utf8_bytes_and_round_trips()
    {
        const string text = "日本語のテキスト";
        var ids = _model.Ours.Encode(text, addSpecialTokens: false);

        Assert.Contains(ids, id => _model.Ours.TokenText(id).StartsWith("<0x", StringComparison.Ordinal));
        Assert.Equal(text, _model.Ours.Decode(ids));
    }

    [Fact]
    public void An_id_outside_the_vocabulary_is_rejected_with_its_value()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _model.Ours.TokenBytes(512));
        Assert.Equal(512, error.ActualValue);
    }

    /// <summary>llama.cpp's <c>llama_detokenize</c> for a SentencePiece vocabulary: per-token pieces, the first one left-stripped.</summary>
    private string LlamaCppDetokenize(IReadOnlyList<int> ids)
    {
        var handle = _model.Oracle.NativeHandle;
        var bytes = new List<byte>();
        var buffer = new byte[256];
        for (var i = 0; i < ids.Count; i++)
        {
            var written = handle.TokenToSpan((LLamaToken)ids[i], buffer, lstrip: i == 0 ? 1 : 0, special: false);
            bytes.AddRange(buffer.AsSpan(0, (int)written).ToArray());
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
