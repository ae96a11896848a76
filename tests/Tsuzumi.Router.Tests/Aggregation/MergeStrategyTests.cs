using Tsuzumi.Router.Aggregation;
using Xunit;

namespace Tsuzumi.Router.Tests.Aggregation;

public sealed class MergeStrategyTests
{
    [Fact]
    public async Task Each_specialist_gets_one_attributed_section_best_route_first()
    {
        var result = await new MergeStrategy().CombineAsync(Answers.Input("q",
            Answers.From("medical", "  Rest and fluids.  ", routeScore: 0.4),
            Answers.From("finance", "Sick leave is paid.", routeScore: 0.7)), TestContext.Current.CancellationToken);

        Assert.Equal("## finance\nSick leave is paid.\n\n## medical\nRest and fluids.", result.Answer);
        Assert.Equal("merge", result.Strategy);
    }
}
