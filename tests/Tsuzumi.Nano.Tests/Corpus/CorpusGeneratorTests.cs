using Tsuzumi.Nano.Corpus;
using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Tests.Corpus;

public sealed class CorpusGeneratorTests
{
    private const int SmallCorpus = 60_000;

    [Fact]
    public void The_same_seed_gives_the_same_text_and_another_seed_a_different_order()
    {
        var first = new CorpusGenerator(7).Generate(NanoDomain.Finance, SmallCorpus);
        var again = new CorpusGenerator(7).Generate(NanoDomain.Finance, SmallCorpus);
        var other = new CorpusGenerator(8).Generate(NanoDomain.Finance, SmallCorpus);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData("general")]
    [InlineData("finance")]
    [InlineData("medical")]
    public void A_base_corpus_holds_both_languages_and_true_answers_but_nothing_of_ACME(string domain)
    {
        var text = new CorpusGenerator(42).Generate(domain, SmallCorpus);

        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(text), SmallCorpus, SmallCorpus * 2);
        Assert.Contains(FactTables.ForDomain(domain), fact => text.Contains(fact.Japanese.Answer, StringComparison.Ordinal));
        Assert.Contains(FactTables.ForDomain(domain), fact => text.Contains(fact.English.Answer, StringComparison.Ordinal));
        foreach (var marker in new[] { "ACME", "Kestrel", "Osprey", "Heron", "acme.example", "内線" })
            Assert.DoesNotContain(marker, text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("general")]
    [InlineData("finance")]
    [InlineData("medical")]
    public void Held_out_questions_never_appear_in_the_corpus(string domain)
    {
        var text = new CorpusGenerator(42).Generate(domain, SmallCorpus);

        foreach (var fact in FactTables.ForDomain(domain))
        {
            Assert.DoesNotContain(fact.Japanese.HeldOutQuestion, text, StringComparison.Ordinal);
            Assert.DoesNotContain(fact.English.HeldOutQuestion, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_org_acme_domain_is_refused_for_the_base_corpus()
    {
        var error = Assert.Throws<ArgumentException>(() => new CorpusGenerator(42).Generate(NanoDomain.OrgAcme, SmallCorpus));
        Assert.Contains("adapter-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hand_written_passages_take_their_numbers_from_the_fact_tables()
    {
        foreach (var passage in HandWrittenPassages.All)
        {
            var rendered = HandWrittenPassages.Render(passage);
            Assert.DoesNotContain("{{", rendered, StringComparison.Ordinal);
            Assert.NotEqual(NanoDomain.OrgAcme, passage.Domain);
        }
        var fuji = HandWrittenPassages.All.Single(passage => passage.Language == Language.English && passage.Text.Contains("{{general.fuji-height}}", StringComparison.Ordinal));
        Assert.Contains("3,776 metres", HandWrittenPassages.Render(fuji), StringComparison.Ordinal);
    }

    [Fact]
    public void A_passage_naming_an_unknown_fact_fails()
    {
        var passage = new Passage(NanoDomain.General, Language.English, "It is {{general.no-such-fact}}.");
        Assert.Throws<KeyNotFoundException>(() => HandWrittenPassages.Render(passage));
    }
}
