using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Tokenization.Pipeline;
using Tsuzumi.Nano.Tokenization;

namespace Tsuzumi.Nano.Tests.Tokenization;

public sealed class BpeTrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tsuzumi-nano-bpe-").FullName;

    private static readonly string[] SmallCorpus =
    [
        "the cat sat on the mat", "the cat ate the rat", "猫が座りました。", "猫がねずみを食べました。", "the rat sat", "猫が好きです。",
    ];

    private PipelineTokenizer Save(TrainedBpe bpe)
    {
        File.WriteAllText(Path.Combine(_folder, NanoTokenizerFiles.TokenizerFile), NanoTokenizerFiles.TokenizerJsonText(bpe));
        File.WriteAllText(Path.Combine(_folder, NanoTokenizerFiles.ConfigFile), NanoTokenizerFiles.ConfigJsonText());
        return TokenizerJson.Load(Path.Combine(_folder, NanoTokenizerFiles.TokenizerFile));
    }

    [Fact]
    public void The_vocabulary_starts_with_specials_then_the_256_bytes_then_the_space_marker()
    {
        var bpe = BpeTrainer.Train(SmallCorpus, new BpeTrainingOptions(VocabularySize: 320));

        Assert.Equal(["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"], bpe.Vocabulary.Take(5));
        Assert.Equal("<0x00>", bpe.Vocabulary[5]);
        Assert.Equal("<0xFF>", bpe.Vocabulary[260]);
        Assert.Equal("▁", bpe.Vocabulary[261]);
        Assert.Equal(bpe.Vocabulary.Count, bpe.Vocabulary.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_most_frequent_pair_is_merged_first()
    {
        // "▁t"+"h" style pairs: "▁the" occurs four times; its first pair ("▁", "t") is the most frequent (▁the, ▁the, ▁the, ▁the).
        var bpe = BpeTrainer.Train(["the the the the cat"], new BpeTrainingOptions(VocabularySize: 400));

        Assert.Equal(("▁", "t"), bpe.Merges[0]);
        Assert.Contains("▁the", bpe.Vocabulary);
        Assert.DoesNotContain("▁cat", bpe.Vocabulary); // seen once: below the minimum merge count
    }

    [Fact]
    public void Punctuation_never_merges_and_pieces_stay_short()
    {
        var bpe = BpeTrainer.Train(Enumerable.Repeat("すばらしい日本語の文章です。とても長い文です。", 20), new BpeTrainingOptions(VocabularySize: 600, MaxPieceLength: 4));

        Assert.All(bpe.Vocabulary.Skip(262), piece => Assert.True(piece.Length <= 4, piece));
        Assert.DoesNotContain(bpe.Merges, merge => merge.Left.Contains('。') || merge.Right.Contains('。'));
    }

    [Fact]
    public void Training_twice_gives_the_same_file()
    {
        var first = NanoTokenizerFiles.TokenizerJsonText(BpeTrainer.Train(SmallCorpus, new BpeTrainingOptions(VocabularySize: 330)));
        var second = NanoTokenizerFiles.TokenizerJsonText(BpeTrainer.Train(SmallCorpus, new BpeTrainingOptions(VocabularySize: 330)));
        Assert.Equal(first, second);
    }

    [Fact]
    public void The_saved_tokenizer_loads_adds_BOS_and_round_trips_seen_and_unseen_text()
    {
        var tokenizer = Save(BpeTrainer.Train(SmallCorpus, new BpeTrainingOptions(VocabularySize: 330)));

        var ids = tokenizer.Encode("the cat sat");
        Assert.Equal(1, ids[0]);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        foreach (var text in new[] { "the cat sat on the mat", "猫が座りました。", "two  inner   spaces ", "unseen 文字 🎉 ü\nnew line" })
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecialTokens: false)));
        // As in Hugging Face's Metaspace, text that already starts with a space gets no extra ▁, so one leading space is lost.
        Assert.Equal(" leading", tokenizer.Decode(tokenizer.Encode("  leading", addSpecialTokens: false)));
        // 🎉 is in no training text: it must come back through byte fallback, four UTF-8 bytes.
        Assert.Equal(4, tokenizer.Encode("🎉", addSpecialTokens: false).Count(id => tokenizer.TokenText(id).StartsWith("<0x", StringComparison.Ordinal)));
    }

    [Fact]
    public void Chat_markers_are_single_special_tokens_and_the_template_is_ChatML()
    {
        var tokenizer = Save(BpeTrainer.Train(SmallCorpus, new BpeTrainingOptions(VocabularySize: 330)));

        var ids = tokenizer.Encode("<|im_start|>user\nthe cat<|im_end|>\n", addSpecialTokens: false, parseSpecialTokens: true);
        Assert.Equal(3, ids[0]);
        Assert.Contains(4, ids);
        Assert.True(tokenizer.IsSpecial(3) && tokenizer.IsSpecial(4));
        Assert.Contains(4, tokenizer.EndOfGenerationIds);
        Assert.Equal(ChatFormat.ChatML, ChatTemplate.Detect(tokenizer.ChatTemplateText, tokenizer).Format);
    }

    [Fact]
    public void A_vocabulary_too_small_for_specials_and_bytes_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(SmallCorpus, new BpeTrainingOptions(VocabularySize: 200)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
