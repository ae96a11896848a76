using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Querying;

/// <summary>Tokens a query cost, over every specialist that answered (the aggregator included).</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;

    public static Usage Of(IEnumerable<Contribution> contributions)
    {
        var all = contributions.ToArray();
        return new Usage(all.Sum(contribution => contribution.PromptTokens), all.Sum(contribution => contribution.CompletionTokens));
    }
}

/// <summary>
/// What came of a query: the combined answer (null when no specialist answered in time), the strategy that produced
/// it, every chosen specialist's contribution with its status, and whether anything was missing.
/// </summary>
public sealed record QueryOutcome(
    Guid QueryId,
    string? Answer,
    string? Strategy,
    bool Degraded,
    IReadOnlyList<Contribution> Contributions,
    Contribution? Aggregator,
    Usage Usage)
{
    public bool Answered => Answer is not null;

    /// <summary>True when every failure was a timeout: nobody answered in time (504) rather than everyone refused (503).</summary>
    public bool AllTimedOut => Contributions.All(contribution => contribution.Status == ContributionStatus.Timeout);
}
