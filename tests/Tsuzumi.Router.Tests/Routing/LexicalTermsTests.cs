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

    [Theory]
    [InlineData("住宅ローン", "住宅ろーん")]
    [InlineData("パスワードを忘れた", "ぱすわーどを忘れた")]
    [InlineData("ヤケドした", "やけどした")]
    public void A_catalog_word_typed_in_either_kana_gives_the_same_terms(string katakana, string hiragana)
    {
        Assert.Equal(Keys(katakana), Keys(hiragana));
    }

    [Fact]
    public void A_gram_across_the_seam_of_a_loanword_and_a_particle_is_no_term()
    {
        // ルールを gives the word ルール and nothing that would meet アルコールを (ルを, ールを) or ーの.
        Assert.Equal(Keys("ルール"), Keys("ルールを"));
        Assert.Equal(Keys("メール"), Keys("のメール"));
    }

    [Fact]
    public void A_short_loanword_counts_only_whole_and_a_long_one_also_meets_its_parts()
    {
        Assert.Empty(Keys("リスト").Intersect(Keys("リスク")));
        Assert.Empty(Keys("コード").Intersect(Keys("コードネーム")));
        Assert.NotEmpty(Keys("インデックスファンド").Intersect(Keys("アクティブファンド")));
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
