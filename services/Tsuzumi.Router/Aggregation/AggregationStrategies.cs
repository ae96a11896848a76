using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Aggregation;

/// <summary>The strategies by name, and the default for a query's shape.</summary>
public sealed class AggregationStrategies(IEnumerable<IAggregationStrategy> strategies)
{
    private readonly Dictionary<string, IAggregationStrategy> byName =
        strategies.ToDictionary(strategy => strategy.Name, StringComparer.OrdinalIgnoreCase);

    public bool IsKnown(string name) => byName.ContainsKey(name);

    public IAggregationStrategy Get(string name) =>
        byName.TryGetValue(name, out var strategy) ? strategy : throw new ArgumentException($"unknown aggregation strategy '{name}'", nameof(name));

    /// <summary>One answer: best; several that are all JSON objects (extraction): vote; several otherwise: merge.</summary>
    public static string DefaultFor(IReadOnlyList<Contribution> answers) =>
        answers.Count <= 1 ? AggregationStrategyNames.Best
        : answers.All(answer => JsonAnswer.TryParseObject(answer.Answer, out _)) ? AggregationStrategyNames.Vote
        : AggregationStrategyNames.Merge;
}
