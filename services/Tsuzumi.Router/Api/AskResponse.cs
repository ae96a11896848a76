using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Querying;

namespace Tsuzumi.Router.Api;

/// <summary>Body of a POST /v1/ask answer: the combined answer and the evidence of who said what.</summary>
public sealed record AskResponse(
    Guid QueryId,
    string Answer,
    string Strategy,
    bool Degraded,
    IReadOnlyList<AskResponse.ContributionView> Contributions,
    AskResponse.ContributionView? Aggregator,
    AskResponse.UsageView Usage)
{
    public static AskResponse From(QueryOutcome outcome) => new(
        outcome.QueryId,
        outcome.Answer!,
        outcome.Strategy!,
        outcome.Degraded,
        outcome.Contributions.Select(ContributionView.From).ToArray(),
        outcome.Aggregator is null ? null : ContributionView.From(outcome.Aggregator),
        new UsageView(outcome.Usage.PromptTokens, outcome.Usage.CompletionTokens, outcome.Usage.TotalTokens));

    /// <summary>One specialist's part; <see cref="Tokens"/> counts the answer's tokens.</summary>
    public sealed record ContributionView(
        string Specialist,
        double? RouteScore,
        string? Answer,
        double? Confidence,
        double? MeanLogProb,
        int Tokens,
        int PromptTokens,
        double LatencyMs,
        string Status,
        string? Code,
        string? Reason)
    {
        public static ContributionView From(Contribution contribution) => new(
            contribution.Specialist,
            contribution.RouteScore,
            contribution.Answer,
            contribution.Confidence,
            contribution.MeanLogProbability,
            contribution.CompletionTokens,
            contribution.PromptTokens,
            Math.Round(contribution.LatencyMs, 1),
            contribution.Status,
            contribution.FailureCode,
            contribution.FailureReason);
    }

    public sealed record UsageView(int PromptTokens, int CompletionTokens, int TotalTokens);
}
