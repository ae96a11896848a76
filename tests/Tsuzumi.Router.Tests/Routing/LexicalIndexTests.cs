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

    private static List<LexicalTerm> Terms(string text)
    {
        var terms = new List<LexicalTerm>();
        LexicalTerms.Extract(QueryText.Normalize(text), terms);
        return terms;
    }
}
