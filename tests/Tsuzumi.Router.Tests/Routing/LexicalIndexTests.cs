using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class LexicalIndexTests
{
    private static readonly LexicalIndex Index = new(
    [
        ["dividend interest rate bond", "stock dividend yield"],
        ["surgery hospital fever", "hospital bill after surgery"],
    ]);

    [Fact]
    public void Words_only_the_second_domain_knows_count_as_its_own_evidence()
    {
        var beyond = new double[2];

        Index.ScoreBeyond(Terms("dividend tax and surgery"), rival: 0, unknownTermWeight: 0.25, priorEvidence: 0, beyond);

        Assert.Equal(0, beyond[0]);
        Assert.True(beyond[1] > 0.1, $"{beyond[1]}");
    }

    [Fact]
    public void A_one_domain_question_leaves_no_evidence_beyond_its_domain()
    {
        var beyond = new double[2];

        Index.ScoreBeyond(Terms("dividend yield of a bond"), rival: 0, unknownTermWeight: 0.25, priorEvidence: 0, beyond);

        Assert.All(beyond, score => Assert.Equal(0, score));
    }

    [Fact]
    public void Beyond_the_rival_never_exceeds_the_plain_score()
    {
        var plain = new double[2];
        var beyond = new double[2];
        var terms = Terms("hospital bill and bond interest");

        Index.Score(terms, 0.25, 8, plain);
        Index.ScoreBeyond(terms, rival: 0, 0.25, 8, beyond);

        Assert.True(beyond[1] <= plain[1] && beyond[1] > 0, $"{beyond[1]} vs {plain[1]}");
    }

    private static readonly LexicalIndex WithGeneral = new(
    [
        ["interest rate on a loan", "loan payment schedule"],
        ["fever and cough", "a cough that will not stop"],
        ["guitar lessons for adults", "learning to play the guitar"],
    ]);

    [Fact]
    public void One_domain_word_in_a_question_the_fallback_explains_is_a_lone_word()
    {
        var lone = WithGeneral.LoneWordScore(Terms("interest in learning guitar"), document: 0, context: 2, 0.25, 8, loneWordShare: 0.5, contextShare: 0.3);

        Assert.True(lone > 0, $"{lone}");
    }

    [Theory]
    [InlineData("interest")] // the word is the whole question: nothing for the fallback to explain
    [InlineData("interest rate on my loan")] // several words of the domain
    [InlineData("interest on a loan for guitar lessons")] // the domain's other words outweigh the fallback's
    public void Evidence_of_more_than_one_word_or_without_general_context_is_not_a_lone_word(string query)
    {
        var lone = WithGeneral.LoneWordScore(Terms(query), document: 0, context: 2, 0.25, 8, loneWordShare: 0.5, contextShare: 0.3);

        Assert.Equal(0, lone);
    }

    [Fact]
    public void A_lone_word_score_never_exceeds_the_document_s_plain_score()
    {
        var plain = new double[3];
        var terms = Terms("interest in learning guitar");

        WithGeneral.Score(terms, 0.25, 8, plain);

        Assert.InRange(WithGeneral.LoneWordScore(terms, document: 0, context: 2, 0.25, 8, 0.5, 0.3), double.Epsilon, plain[0]);
    }

    private static List<LexicalTerm> Terms(string text)
    {
        var terms = new List<LexicalTerm>();
        LexicalTerms.Extract(QueryText.Normalize(text), terms);
        return terms;
    }
}
