using System.Text;

namespace Tsuzumi.Router.Aggregation;

/// <summary>One attributed section per specialist, best route score first, so the reader sees who said what.</summary>
public sealed class MergeStrategy : IAggregationStrategy
{
    public string Name => AggregationStrategyNames.Merge;

    public Task<AggregationResult> CombineAsync(AggregationInput input, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var answer in input.Answers.OrderByDescending(answer => answer.RouteScore ?? double.NegativeInfinity))
        {
            if (text.Length > 0) text.Append("\n\n");
            text.Append("## ").Append(answer.Specialist).Append('\n').Append(answer.Answer!.Trim());
        }
        return Task.FromResult(new AggregationResult(text.ToString(), Name));
    }
}
