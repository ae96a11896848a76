using System.Text.Json;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Tokenization;

public sealed class StreamingDetokenizerTests
{
    private static ITokenizer Stories260K() =>
        new SentencePieceBpeTokenizer(GgufVocabularyTestReader.Read(RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf")));

    private static ITokenizer LlmJp() =>
        TokenizerJson.Load(RepositoryPaths.RequireSharedFile("models/llm-jp-tokenizer/code10K_en20K_ja30K.ver2.2_hf_fast.b4/tokenizer.json"));

    private static IEnumerable<string> JapaneseSample()
    {
        var path = RepositoryPaths.RequireSharedFile("eval/rakuda/rakuda_v2/questions.jsonl");
        return File.ReadLines(path).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("turns")[0].GetString()!)
            .Append("絵文字😀🎉も含む日本語、そして English.");
    }

    private static List<string> Stream(ITokenizer tokenizer, IEnumerable<int> ids, bool startsText)
    {
        var detokenizer = new StreamingDetokenizer(tokenizer, startsText: startsText);
        var chunks = ids.Select(detokenizer.Add).ToList();
        chunks.Add(detokenizer.Flush());
        return chunks;
    }

    [Fact]
    public void Japanese_spelled_in_byte_tokens_streams_whole_characters_only()
    {
        var tokenizer = Stories260K();
        foreach (var text in JapaneseSample())
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: true);
            var chunks = Stream(tokenizer, ids, startsText: true);

            Assert.All(chunks, chunk => Assert.DoesNotContain('\uFFFD', chunk));
            Assert.All(chunks, chunk => Assert.True(chunk.Length == 0 || !char.IsHighSurrogate(chunk[^1]), "a chunk ends inside a surrogate pair"));
            // With bytes held back, many tokens yield nothing until a character completes.
            Assert.Contains(chunks, chunk => chunk.Length == 0);
            Assert.Equal(tokenizer.Decode(ids), string.Concat(chunks));
        }
    }

    [Fact]
    public void Japanese_from_the_unigram_tokenizer_streams_to_the_full_decode()
    {
        var tokenizer = LlmJp();
        foreach (var text in JapaneseSample())
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: true);
            var chunks = Stream(tokenizer, ids, startsText: true);

            Assert.All(chunks, chunk => Assert.DoesNotContain('\uFFFD', chunk));
            Assert.Equal(tokenizer.Decode(ids), string.Concat(chunks));
            Assert.Equal(text, string.Concat(chunks));
        }
    }

    [Fact]
    public void A_continuation_keeps_the_space_before_its_first_word()
    {
        var tokenizer = Stories260K();
        var ids = tokenizer.Encode("Hello world", addSpecialTokens: false);
        Assert.StartsWith(" ", string.Concat(Stream(tokenizer, ids, startsText: false)));
        Assert.StartsWith("H", string.Concat(Stream(tokenizer, ids, startsText: true)));
    }

    [Fact]
    public void A_character_cut_off_at_the_end_becomes_one_replacement_character_on_flush()
    {
        var tokenizer = Stories260K();
        var ids = tokenizer.Encode("日", addSpecialTokens: false); // ▁ then three byte tokens
        var detokenizer = new StreamingDetokenizer(tokenizer);

        var emitted = string.Concat(ids.Take(ids.Count - 1).Select(detokenizer.Add));

        Assert.Equal(" ", emitted);
        Assert.Equal("\uFFFD", detokenizer.Flush());
    }

    [Fact]
    public void Special_tokens_are_silent_in_the_stream()
    {
        var tokenizer = Stories260K();
        var detokenizer = new StreamingDetokenizer(tokenizer);
        Assert.Equal("", detokenizer.Add(tokenizer.BosId!.Value));
        Assert.Equal("", detokenizer.Add(tokenizer.EosId!.Value));
    }
}
