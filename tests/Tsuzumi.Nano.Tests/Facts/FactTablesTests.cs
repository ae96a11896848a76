using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Tests.Facts;

public sealed class FactTablesTests
{
    [Fact]
    public void The_shipped_tables_are_consistent()
    {
        Assert.Empty(FactTables.FindInconsistencies(FactTables.All));
    }

    [Fact]
    public void Every_adapter_domain_fact_has_training_paraphrases_and_no_general_fact_has_any()
    {
        Assert.Empty(TrainingParaphrases.FindInconsistencies());
        Assert.All(FactTables.ForDomain(NanoDomain.General), fact => Assert.Null(TrainingParaphrases.For(fact.Id)));
    }

    [Theory]
    [InlineData("general")]
    [InlineData("finance")]
    [InlineData("medical")]
    [InlineData("org-acme")]
    public void Every_domain_has_enough_facts_for_150_training_pairs_and_50_choice_items(string domain)
    {
        // Three training wrappers and one multiple-choice item per fact and language.
        var facts = FactTables.ForDomain(domain);
        Assert.True(facts.Count * 2 * 3 >= 150, $"{domain}: {facts.Count} facts");
        Assert.True(facts.Count * 2 >= 50, $"{domain}: {facts.Count} facts");
        Assert.All(facts, fact => Assert.Equal(domain, fact.Domain));
    }

    [Fact]
    public void Every_acme_answer_names_ACME_so_leaks_are_detectable()
    {
        Assert.All(AcmeFacts.All, fact =>
        {
            Assert.Contains("ACME", fact.Japanese.Answer, StringComparison.Ordinal);
            Assert.Contains("ACME", fact.English.Answer, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_fact_with_two_slots_or_a_distractor_equal_to_its_value_is_reported()
    {
        var broken = new Fact("finance.broken", "finance",
            new FactRendering("問？", "問？", "{v}と{v}", "A", ["B", "C", "D"]),
            new FactRendering("Q?", "Other Q?", "It is {v}.", "A", ["A", "C", "C"]));

        var problems = FactTables.FindInconsistencies([broken, broken]);

        Assert.Contains(problems, problem => problem.Contains("duplicate id", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("(Japanese): the answer template has 2 slots", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("(Japanese): the held-out question repeats", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("(English): a distractor equals the value", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("(English): repeated distractors", StringComparison.Ordinal));
    }

    [Fact]
    public void Looking_up_an_unknown_fact_or_domain_fails_with_its_name()
    {
        Assert.Contains("general.nope", Assert.Throws<KeyNotFoundException>(() => FactTables.Get("general.nope")).Message, StringComparison.Ordinal);
        Assert.Contains("'legal'", Assert.Throws<ArgumentException>(() => FactTables.ForDomain("legal")).Message, StringComparison.Ordinal);
    }
}
