using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class LexicalTermsTests
{
    [Theory]
    [InlineData("policies", "polic")]
    [InlineData("policy", "polic")]
    [InlineData("taxes", "tax")]
    [InlineData("dividends", "dividend")]
    [InlineData("booking", "book")]
    [InlineData("expenses", "expens")]
    [InlineData("business", "business")]
    public void Plural_and_verb_endings_meet_at_one_stem(string word, string stem)
    {
        Assert.Equal(stem, LexicalTerms.Stem(word).ToString());
    }

    [Fact]
    public void Japanese_particles_alone_carry_no_terms_but_kanji_and_katakana_do()
    {
        var particles = new List<LexicalTerm>();
        var content = new List<LexicalTerm>();

        LexicalTerms.Extract(QueryText.Normalize("ですか？とは"), particles);
        LexicalTerms.Extract(QueryText.Normalize("配当とは"), content);

        Assert.Empty(particles);
        Assert.NotEmpty(content);
    }

    [Fact]
    public void Full_width_letters_match_their_ascii_form()
    {
        var fullWidth = new List<LexicalTerm>();
        var ascii = new List<LexicalTerm>();

        LexicalTerms.Extract(QueryText.Normalize("ＮＩＳＡ"), fullWidth);
        LexicalTerms.Extract(QueryText.Normalize("NISA"), ascii);

        Assert.Equal(ascii, fullWidth);
    }

    [Fact]
    public void English_function_words_carry_no_terms()
    {
        var terms = new List<LexicalTerm>();

        LexicalTerms.Extract(QueryText.Normalize("What is the"), terms);

        Assert.Empty(terms);
    }
}
