using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Aggregation;

/// <summary>The answers that arrived in time and what the combination may still use (the rest of the deadline).</summary>
public sealed record AggregationInput(
    Guid QueryId,
    string Query,
    string Tenant,
    IReadOnlyList<Contribution> Answers,
    GenerationOverrides Generation,
    DateTimeOffset Deadline);

/// <summary>
/// The combined answer. <see cref="Strategy"/> is the strategy that actually produced it (synthesize falls back to
/// best when the aggregator cannot answer); <see cref="Aggregator"/> is the aggregator's own contribution, if any.
/// </summary>
public sealed record AggregationResult(string Answer, string Strategy, bool Degraded = false, Contribution? Aggregator = null);

/// <summary>One way of turning several specialists' answers into one.</summary>
public interface IAggregationStrategy
{
    /// <summary>The name a request uses to ask for this strategy.</summary>
    string Name { get; }

    /// <summary>Combines <see cref="AggregationInput.Answers"/>, which holds at least one answer.</summary>
    Task<AggregationResult> CombineAsync(AggregationInput input, CancellationToken cancellationToken);
}
