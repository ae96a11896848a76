using Tsuzumi.Contracts;
using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Tests.FanOut;
using Xunit;

namespace Tsuzumi.Router.Tests.Aggregation;

/// <summary>Synthesis asks the aggregator specialist over the bus (here the test harness), like any other specialist.</summary>
public sealed class SynthesizeStrategyTests
{
    [Fact]
    public async Task The_aggregator_reads_every_candidate_and_its_answer_is_the_result()
    {
        var specialists = new ScriptedSpecialists().Play("general", new SpecialistScript
        {
            Compose = question => $"combined {question.Conversation[^1].Content.Split('\n').Count(line => line.StartsWith('['))} candidates",
        });
        await using var harness = await FanOutHarness.StartAsync(specialists);

        var result = await harness.Synthesize.CombineAsync(Answers.Input("Is a weak yen good?",
            Answers.From("finance", "Exporters gain."),
            Answers.From("org-acme", "Travel costs rise.")), TestContext.Current.CancellationToken);

        Assert.Equal("combined 2 candidates", result.Answer);
        Assert.Equal("synthesize", result.Strategy);
        Assert.Equal(ContributionStatus.Ok, result.Aggregator!.Status);
        var prompt = Assert.Single(specialists.Received).Conversation[^1].Content;
        Assert.Contains("Question: Is a weak yen good?", prompt);
        Assert.Contains("[1] finance: Exporters gain.", prompt);
        Assert.Contains("[2] org-acme: Travel costs rise.", prompt);
    }

    [Fact]
    public async Task When_the_aggregator_fails_the_best_candidate_is_returned_and_marked_degraded()
    {
        var specialists = new ScriptedSpecialists().Play("general", SpecialistScript.Fails(SpecialistFailureCodes.Busy));
        await using var harness = await FanOutHarness.StartAsync(specialists);

        var result = await harness.Synthesize.CombineAsync(Answers.Input("q",
            Answers.From("finance", "weak", -3),
            Answers.From("medical", "strong", -0.2)), TestContext.Current.CancellationToken);

        Assert.Equal("strong", result.Answer);
        Assert.Equal("best", result.Strategy);
        Assert.True(result.Degraded);
        Assert.Equal(SpecialistFailureCodes.Busy, result.Aggregator!.FailureCode);
    }
}
