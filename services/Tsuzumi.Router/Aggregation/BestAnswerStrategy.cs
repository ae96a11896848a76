using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Aggregation;

/// <summary>The answer with the highest length-normalised log-probability; ties go to the better route score.</summary>
public sealed class BestAnswerStrategy : IAggregationStrategy
{
    public string Name => AggregationStrategyNames.Best;

    public Task<AggregationResult> CombineAsync(AggregationInput input, CancellationToken cancellationToken) =>
        Task.FromResult(new AggregationResult(Pick(input.Answers).Answer!, Name));

    internal static Contribution Pick(IReadOnlyList<Contribution> answers) =>
        answers
            .OrderByDescending(answer => answer.MeanLogProbability ?? double.NegativeInfinity)
            .ThenByDescending(answer => answer.RouteScore ?? double.NegativeInfinity)
            .First();
}
