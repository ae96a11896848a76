using Tsuzumi.Inference.Evaluation;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class KeyFactMatcherTests
{
    [Theory]
    [InlineData("The tower is in ＴＯＫＹＯ  Tower district.", "tokyo tower")]   // full-width letters, case, doubled space
    [InlineData("答えは ｶﾀｶﾅ です", "カタカナ")]                                 // half-width katakana → full-width
    [InlineData("富士山の高さは３７７６ｍです。", "3776m")]                      // full-width digits
    [InlineData("Line one\nline\ttwo", "LINE TWO")]                             // newlines and tabs are whitespace too
    public void Facts_match_through_nfkc_case_and_whitespace_differences(string answer, string fact)
    {
        Assert.True(KeyFactMatcher.IsHit(answer, [fact]));
    }

    [Fact]
    public void A_hit_needs_every_fact_and_found_reports_each()
    {
        const string answer = "Kyoto was the capital until 1869.";

        Assert.Equal([true, false], KeyFactMatcher.Found(answer, ["kyoto", "tokyo"]));
        Assert.False(KeyFactMatcher.IsHit(answer, ["kyoto", "tokyo"]));
        Assert.True(KeyFactMatcher.IsHit(answer, ["kyoto", "1869"]));
    }

    [Fact]
    public void Metrics_average_hits_and_fact_fractions_over_questions()
    {
        KeyFactOutcome[] outcomes =
        [
            new("a", "", [true, true]),
            new("b", "", [true, false]),
            new("c", "", [false, false, false, true]),
        ];

        var metrics = GenerativeQaTask.Metrics(outcomes);

        Assert.Equal(1 / 3.0, metrics.Single(metric => metric.Name == "hit").Value, 1e-12);
        Assert.Equal((1 + 0.5 + 0.25) / 3, metrics.Single(metric => metric.Name == "facts").Value, 1e-12);
    }

    [Fact]
    public void Normalisation_does_not_confuse_different_words()
    {
        Assert.False(KeyFactMatcher.IsHit("Osaka", ["Tokyo"]));
        Assert.False(KeyFactMatcher.IsHit("東京", ["京都"]));
    }
}
