using System.Text.Json.Nodes;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Aggregation;

/// <summary>
/// Field-wise majority over JSON answers (extraction tasks): each field takes the value most specialists gave it; a
/// tie goes to the value backed by the most confident answer. Answers that are not JSON objects do not vote; when
/// none is, the best answer is returned instead.
/// </summary>
public sealed class VoteStrategy : IAggregationStrategy
{
    public string Name => AggregationStrategyNames.Vote;

    public Task<AggregationResult> CombineAsync(AggregationInput input, CancellationToken cancellationToken)
    {
        var ballots = new List<(Contribution Voter, JsonObject Fields)>();
        foreach (var answer in input.Answers)
        {
            if (JsonAnswer.TryParseObject(answer.Answer, out var fields)) ballots.Add((answer, fields));
        }
        if (ballots.Count == 0)
            return Task.FromResult(new AggregationResult(BestAnswerStrategy.Pick(input.Answers).Answer!, AggregationStrategyNames.Best, Degraded: true));

        var fieldOrder = new List<string>();
        foreach (var (_, fields) in ballots)
        {
            foreach (var (name, _) in fields)
            {
                if (!fieldOrder.Contains(name)) fieldOrder.Add(name);
            }
        }
        var combined = new JsonObject();
        foreach (var field in fieldOrder)
        {
            var winner = ballots
                .Where(ballot => ballot.Fields.ContainsKey(field))
                .GroupBy(ballot => Canonical(ballot.Fields[field]))
                .Select(group => new
                {
                    Value = group.First().Fields[field],
                    Votes = group.Count(),
                    Confidence = group.Max(ballot => ballot.Voter.MeanLogProbability ?? double.NegativeInfinity),
                })
                .OrderByDescending(candidate => candidate.Votes)
                .ThenByDescending(candidate => candidate.Confidence)
                .First();
            combined[field] = winner.Value?.DeepClone();
        }
        return Task.FromResult(new AggregationResult(combined.ToJsonString(), Name));
    }

    // Strings compare trimmed and case-insensitively ("Tokyo" and "tokyo " are one vote); other values by their
    // compact JSON text.
    private static string Canonical(JsonNode? value) =>
        value is JsonValue scalar && scalar.TryGetValue<string>(out var text)
            ? "s:" + text.Trim().ToLowerInvariant()
            : value?.ToJsonString() ?? "null";
}
