using System.Text;
using Microsoft.Extensions.Options;
using Tsuzumi.Contracts;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Aggregation;

/// <summary>
/// Mixture-of-Agents style: an aggregator specialist (Router:AggregatorSpecialist, default general) reads the
/// candidates and writes one answer, asked over the same bus within what is left of the deadline. When it cannot
/// answer in time the best candidate is returned and the result is marked degraded.
/// </summary>
public sealed class SynthesizeStrategy(SpecialistFanOut fanOut, IOptions<RouterOptions> options) : IAggregationStrategy
{
    public string Name => AggregationStrategyNames.Synthesize;

    public async Task<AggregationResult> CombineAsync(AggregationInput input, CancellationToken cancellationToken)
    {
        var aggregatorId = options.Value.AggregatorSpecialist;
        var request = new FanOutRequest(
            input.QueryId,
            input.Tenant,
            [new ChatTurn("user", Prompt(input.Query, input.Answers))],
            [new ChosenSpecialist(aggregatorId, null)],
            input.Generation,
            input.Deadline);
        var aggregator = await fanOut.AskOneAsync(request, request.Specialists[0], cancellationToken);
        if (aggregator.IsAnswer && !string.IsNullOrWhiteSpace(aggregator.Answer))
            return new AggregationResult(aggregator.Answer.Trim(), Name, Aggregator: aggregator);
        var best = BestAnswerStrategy.Pick(input.Answers);
        return new AggregationResult(best.Answer!, AggregationStrategyNames.Best, Degraded: true, Aggregator: aggregator);
    }

    /// <summary>The aggregator's instructions: the question, then each candidate numbered and attributed.</summary>
    public static string Prompt(string query, IReadOnlyList<Contribution> candidates)
    {
        var prompt = new StringBuilder()
            .Append("Several specialists answered the question below. Write one answer that keeps what they got right ")
            .Append("and leaves out what they contradict.\n\nQuestion: ")
            .Append(query.Trim())
            .Append("\n\nCandidate answers:\n");
        for (var index = 0; index < candidates.Count; index++)
            prompt.Append('[').Append(index + 1).Append("] ").Append(candidates[index].Specialist).Append(": ")
                .Append(candidates[index].Answer!.Trim()).Append('\n');
        return prompt.Append("\nAnswer:").ToString();
    }
}
