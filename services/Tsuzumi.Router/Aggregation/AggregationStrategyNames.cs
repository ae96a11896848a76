namespace Tsuzumi.Router.Aggregation;

public static class AggregationStrategyNames
{
    public const string Best = "best";
    public const string Merge = "merge";
    public const string Vote = "vote";
    public const string Synthesize = "synthesize";

    public static readonly IReadOnlyList<string> All = [Best, Merge, Vote, Synthesize];
}
