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

    [Fact]
    public void A_loanword_typed_in_hiragana_meets_its_katakana_spelling()
    {
        var katakana = Keys("住宅ローン");
        var hiragana = Keys("住宅ろーん");

        Assert.True(katakana.Intersect(hiragana).Count() >= 3, "the grams with ー and the kanji should meet");
    }

    [Fact]
    public void A_katakana_word_counts_whole_so_a_shared_bigram_is_weak_evidence()
    {
        var risk = Terms("リスク");
        var list = Terms("リスト");

        var shared = risk.Where(term => list.Any(other => other.Key == term.Key)).Sum(term => term.Weight);
        var total = risk.Sum(term => term.Weight);
        Assert.True(shared < total / 3, $"shared weight {shared} of {total}");
    }

    [Fact]
    public void A_domain_word_in_kana_gives_the_terms_of_its_kanji()
    {
        Assert.Equal(Keys("株を買う"), Keys("かぶを買う"));
    }

    private static List<LexicalTerm> Terms(string text)
    {
        var terms = new List<LexicalTerm>();
        LexicalTerms.Extract(QueryText.Normalize(text), terms);
        return terms;
    }

    private static ulong[] Keys(string text) => Terms(text).Select(term => term.Key).ToArray();
}
