using System.Text.Json.Nodes;
using Tsuzumi.Router.Aggregation;
using Xunit;

namespace Tsuzumi.Router.Tests.Aggregation;

public sealed class VoteStrategyTests
{
    [Fact]
    public async Task Each_field_takes_the_value_most_specialists_extracted()
    {
        // A press release extraction where each specialist gets one field wrong, a different one each time.
        var result = await new VoteStrategy().CombineAsync(Answers.Input("extract",
            Answers.From("a", """{"company":"NTT","product":"tsuzumi 2","date":"2025-10-20","price":100}"""),
            Answers.From("b", """{"company":"NTT","product":"tsuzumi","date":"2025-10-20","price":100}"""),
            Answers.From("c", """{"company":"NTT Data","product":"tsuzumi 2","date":"2025-10-21","price":100}""")),
            TestContext.Current.CancellationToken);

        var fields = JsonNode.Parse(result.Answer)!.AsObject();
        Assert.Equal("NTT", (string?)fields["company"]);
        Assert.Equal("tsuzumi 2", (string?)fields["product"]);
        Assert.Equal("2025-10-20", (string?)fields["date"]);
        Assert.Equal(100, (int)fields["price"]!);
        Assert.Equal("vote", result.Strategy);
    }

    [Fact]
    public async Task A_tie_goes_to_the_most_confident_answer_and_strings_match_loosely()
    {
        var result = await new VoteStrategy().CombineAsync(Answers.Input("extract",
            Answers.From("a", """{"city":"Tokyo","ceo":"Sato"}""", meanLogProbability: -1.5),
            Answers.From("b", """{"city":"tokyo ","ceo":"Suzuki"}""", meanLogProbability: -0.2)),
            TestContext.Current.CancellationToken);

        var fields = JsonNode.Parse(result.Answer)!.AsObject();
        Assert.Equal("Tokyo", (string?)fields["city"]);
        Assert.Equal("Suzuki", (string?)fields["ceo"]);
    }

    [Fact]
    public async Task Fields_only_some_answers_have_are_kept_and_fenced_json_counts_while_prose_does_not_vote()
    {
        var result = await new VoteStrategy().CombineAsync(Answers.Input("extract",
            Answers.From("a", "```json\n{\"company\":\"NTT\",\"employees\":330000}\n```"),
            Answers.From("b", """{"company":"NTT"}"""),
            Answers.From("c", "The company is KDDI.")), TestContext.Current.CancellationToken);

        var fields = JsonNode.Parse(result.Answer)!.AsObject();
        Assert.Equal("NTT", (string?)fields["company"]);
        Assert.Equal(330000, (int)fields["employees"]!);
    }

    [Fact]
    public async Task Without_any_json_answer_it_falls_back_to_the_best_answer_and_says_so()
    {
        var result = await new VoteStrategy().CombineAsync(Answers.Input("extract",
            Answers.From("a", "no idea", -2),
            Answers.From("b", "NTT", -0.1)), TestContext.Current.CancellationToken);

        Assert.Equal("NTT", result.Answer);
        Assert.Equal("best", result.Strategy);
        Assert.True(result.Degraded);
    }
}
