using Tsuzumi.Router.Aggregation;
using Xunit;

namespace Tsuzumi.Router.Tests.Aggregation;

public sealed class BestAnswerStrategyTests
{
    [Fact]
    public async Task The_answer_with_the_highest_length_normalised_log_probability_wins()
    {
        var result = await new BestAnswerStrategy().CombineAsync(Answers.Input("q",
            Answers.From("finance", "unsure", -2.0, routeScore: 0.9),
            Answers.From("medical", "confident", -0.1, routeScore: 0.2),
            Answers.From("general", "middling", -0.7, routeScore: 0.5)), TestContext.Current.CancellationToken);

        Assert.Equal("confident", result.Answer);
        Assert.Equal("best", result.Strategy);
        Assert.False(result.Degraded);
    }

    [Fact]
    public async Task Equal_confidence_goes_to_the_better_route_score()
    {
        var result = await new BestAnswerStrategy().CombineAsync(Answers.Input("q",
            Answers.From("finance", "routed worse", -0.5, routeScore: 0.3),
            Answers.From("medical", "routed better", -0.5, routeScore: 0.8)), TestContext.Current.CancellationToken);

        Assert.Equal("routed better", result.Answer);
    }
}
