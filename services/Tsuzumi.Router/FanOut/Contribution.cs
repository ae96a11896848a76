namespace Tsuzumi.Router.FanOut;

/// <summary>How one specialist's part of a query ended.</summary>
public static class ContributionStatus
{
    /// <summary>Answered before the deadline.</summary>
    public const string Ok = "ok";

    /// <summary>No answer before the deadline (late, lost, or the bus was down).</summary>
    public const string Timeout = "timeout";

    /// <summary>The specialist answered with a failure; <see cref="Contribution.FailureCode"/> says which.</summary>
    public const string Failed = "failed";
}

/// <summary>What one specialist did for a query: its answer with confidence and cost, or why there is none.</summary>
public sealed record Contribution(string Specialist, double? RouteScore, string Status)
{
    public string? Answer { get; init; }

    /// <summary>Mean log-probability of the answer's tokens (length-normalised).</summary>
    public double? MeanLogProbability { get; init; }

    /// <summary>exp(mean log-probability): the geometric-mean probability of the answer's tokens, in (0, 1].</summary>
    public double? Confidence => MeanLogProbability is { } mean ? Math.Exp(mean) : null;

    public int PromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    /// <summary>Time from sending the question to the answer (or to giving up), as the router saw it.</summary>
    public double LatencyMs { get; init; }

    public string? FinishReason { get; init; }

    /// <summary>One of Tsuzumi.Contracts' failure codes, for <see cref="ContributionStatus.Failed"/>.</summary>
    public string? FailureCode { get; init; }

    public string? FailureReason { get; init; }

    public bool IsAnswer => Status == ContributionStatus.Ok;
}
