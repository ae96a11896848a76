using Tsuzumi.Router.Aggregation;
using Xunit;

namespace Tsuzumi.Router.Tests.Aggregation;

public sealed class AggregationStrategiesTests
{
    [Fact]
    public void One_answer_is_simply_the_best()
    {
        Assert.Equal("best", AggregationStrategies.DefaultFor([Answers.From("finance", "text")]));
        Assert.Equal("best", AggregationStrategies.DefaultFor([Answers.From("finance", """{"a":1}""")]));
    }

    [Fact]
    public void Several_json_objects_are_voted_on()
    {
        Assert.Equal("vote", AggregationStrategies.DefaultFor([Answers.From("a", """{"a":1}"""), Answers.From("b", " {\"a\":2} ")]));
    }

    [Fact]
    public void Several_answers_in_prose_or_mixed_are_merged()
    {
        Assert.Equal("merge", AggregationStrategies.DefaultFor([Answers.From("a", "one"), Answers.From("b", "two")]));
        Assert.Equal("merge", AggregationStrategies.DefaultFor([Answers.From("a", """{"a":1}"""), Answers.From("b", "two")]));
        Assert.Equal("merge", AggregationStrategies.DefaultFor([Answers.From("a", "{not json}"), Answers.From("b", """{"a":1}""")]));
    }

    [Fact]
    public void Strategies_are_found_by_name_whatever_the_case_and_unknown_names_are_refused()
    {
        var strategies = new AggregationStrategies([new BestAnswerStrategy(), new MergeStrategy(), new VoteStrategy()]);

        Assert.IsType<VoteStrategy>(strategies.Get("VOTE"));
        Assert.False(strategies.IsKnown("majority"));
        Assert.Throws<ArgumentException>(() => strategies.Get("majority"));
    }
}
