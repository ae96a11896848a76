using Tsuzumi.Router.Aggregation;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Tests.Aggregation;

/// <summary>Contributions and aggregation inputs written the way a test reads best.</summary>
internal static class Answers
{
    public static Contribution From(string specialist, string answer, double meanLogProbability = -0.5, double? routeScore = null) =>
        new(specialist, routeScore, ContributionStatus.Ok)
        {
            Answer = answer,
            MeanLogProbability = meanLogProbability,
            PromptTokens = 10,
            CompletionTokens = answer.Length,
        };

    public static AggregationInput Input(string query, params Contribution[] answers) =>
        new(Guid.NewGuid(), query, "public", answers, GenerationOverrides.None, DateTimeOffset.UtcNow.AddSeconds(10));
}
