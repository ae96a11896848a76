using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class MentionedPhraseTests
{
    [Theory]
    [InlineData("「猫の手も借りたい」ってどういう意味？", "猫の手も借りたい")]
    [InlineData("ことわざ『医者の不養生』の意味は", "医者の不養生")]
    [InlineData("what does 'break a leg' mean", "break a leg")]
    [InlineData("what does \"pay the piper\" mean", "pay the piper")]
    [InlineData("where does the phrase ‘cost an arm and a leg’ come from", "cost an arm and a leg")]
    [InlineData("what's the origin of 'the kid's gloves' here", "the kid's gloves")]
    public void A_quoted_phrase_is_found_without_its_quotes(string query, string phrase)
    {
        Span<(int Start, int End)> spans = stackalloc (int, int)[4];

        var found = MentionedPhrase.FindQuoted(query, spans);

        Assert.Equal(1, found);
        Assert.Equal(phrase, query[spans[0].Start..spans[0].End]);
    }

    // Round 12: a Japanese saying asked about without quotes runs from the sentence's start (or a 、) to って/とは/の
    // before the question of its meaning.
    [Theory]
    [InlineData("阪神の貯金が10ってどういう意味？", "阪神の貯金が10")]
    [InlineData("ねえ、猫をかぶるとはどういう意味", "猫をかぶる")]
    [InlineData("棚からぼたもちの由来を知りたい", "棚からぼたもち")]
    public void An_unquoted_japanese_phrase_asked_about_is_found(string query, string phrase)
    {
        Span<(int Start, int End)> spans = stackalloc (int, int)[4];

        var found = MentionedPhrase.FindUnquotedJapanese(query, spans);

        Assert.Equal(1, found);
        Assert.Equal(phrase, query[spans[0].Start..spans[0].End]);
    }

    [Theory]
    [InlineData("what does a high a1c number mean")]
    [InlineData("株の配当金はいつもらえる？")]
    public void English_and_japanese_without_a_meaning_question_have_no_unquoted_phrase(string query)
    {
        Span<(int Start, int End)> spans = stackalloc (int, int)[4];

        Assert.Equal(0, MentionedPhrase.FindUnquotedJapanese(query, spans));
    }

    // Apostrophes of contractions and plural possessives open no phrase.
    [Theory]
    [InlineData("what's my parents' pension if they don't claim it")]
    [InlineData("I've got the kids' school fees due")]
    public void Apostrophes_are_not_quotes(string query)
    {
        Span<(int Start, int End)> spans = stackalloc (int, int)[4];

        Assert.Equal(0, MentionedPhrase.FindQuoted(query, spans));
    }

    [Theory]
    [InlineData("「猫の手も借りたい」ってどういう意味？", true)]
    [InlineData("「骨が折れる」の語源", true)]
    [InlineData("what does 'break a leg' mean", true)]
    [InlineData("is 'spill the beans' an idiom", true)]
    [InlineData("上司に「早く病院に行け」と言われた", false)]
    [InlineData("my manager said 'submit it by friday' meanwhile", false)]
    [InlineData("「意味がない」と言われた", false)]
    public void A_quoted_phrase_is_asked_about_only_when_the_rest_of_the_query_asks_what_it_means(string query, bool asked)
    {
        Span<(int Start, int End)> spans = stackalloc (int, int)[4];
        MentionedPhrase.FindQuoted(query, spans);

        Assert.Equal(asked, MentionedPhrase.AsksAbout(query, spans[0].Start, spans[0].End));
    }
}
