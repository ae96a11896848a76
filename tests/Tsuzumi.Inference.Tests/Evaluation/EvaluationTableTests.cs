using System.Text.Json;
using Tsuzumi.Inference.Evaluation;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class EvaluationTableTests
{
    private static EvaluationTable Table() => new(
    [
        new ContestantResult(Contestant.ForModel("/models/base.gguf"),
        [
            new MultipleChoiceResult("piqa", [new MetricValue("acc", 0.5, 0.01), new MetricValue("acc_norm", 0.55, 0.012)], TimeSpan.FromSeconds(2), []),
            new GenerativeQaResult("facts", [new MetricValue("hit", 1, double.NaN)], TimeSpan.Zero,
                [new KeyFactOutcome("q1", "東京です。", [true]), new KeyFactOutcome("q2", "Osaka, \"probably\"", [true, false])]),
        ]),
        new ContestantResult(Contestant.ForModel("/models/base.gguf", [AdapterSpec.Parse("/adapters/legal-specialist:0.5")]),
        [
            new MultipleChoiceResult("piqa", [new MetricValue("acc", 0.625, 0.02), new MetricValue("acc_norm", 0.6, 0.02)], TimeSpan.FromSeconds(2), []),
        ]),
    ]);

    [Fact]
    public void The_text_table_has_a_row_per_contestant_and_aligned_columns_per_task_metric()
    {
        var lines = Table().ToText().TrimEnd().Split(Environment.NewLine);

        Assert.Equal(3, lines.Length);
        Assert.StartsWith("contestant", lines[0]);
        Assert.Contains("piqa acc_norm (n=0)", lines[0]);
        Assert.StartsWith("base ", lines[1]);
        Assert.StartsWith("base+legal-specialist ", lines[2]);
        Assert.Contains("0.6250 ± 0.0200", lines[2]);
        Assert.Contains("1.0000", lines[1]);
        Assert.EndsWith("—", lines[2]); // the second contestant did not run "facts"
        // Right-aligned numeric columns: every row ends each column at the same offset.
        var end = lines[0].IndexOf("piqa acc (n=0)", StringComparison.Ordinal) + "piqa acc (n=0)".Length;
        Assert.Equal(end, lines[1].IndexOf("0.5000 ± 0.0100", StringComparison.Ordinal) + "0.5000 ± 0.0100".Length);
        Assert.Equal(end, lines[2].IndexOf("0.6250 ± 0.0200", StringComparison.Ordinal) + "0.6250 ± 0.0200".Length);
    }

    [Fact]
    public void Json_carries_every_metric_with_its_stderr_and_writes_nan_as_null()
    {
        using var json = JsonDocument.Parse(Table().ToJson());

        var contestants = json.RootElement.GetProperty("contestants");
        Assert.Equal(2, contestants.GetArrayLength());
        var piqa = contestants[1].GetProperty("tasks").GetProperty("piqa");
        Assert.Equal(0.625, piqa.GetProperty("acc").GetDouble());
        Assert.Equal(0.02, piqa.GetProperty("acc_norm_stderr").GetDouble());
        Assert.Equal(0.5, contestants[1].GetProperty("adapters")[0].GetProperty("weight").GetDouble());
        Assert.Equal(JsonValueKind.Null, contestants[0].GetProperty("tasks").GetProperty("facts").GetProperty("hit_stderr").ValueKind);
    }

    [Fact]
    public void Answers_are_one_json_line_per_generated_answer_with_its_hit()
    {
        var lines = Table().ToAnswersJsonLines().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, lines.Length); // multiple-choice tasks have no answers to write
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("base", first.RootElement.GetProperty("contestant").GetString());
        Assert.Equal("q1", first.RootElement.GetProperty("id").GetString());
        Assert.True(first.RootElement.GetProperty("hit").GetBoolean());
        Assert.Contains("東京です。", lines[0], StringComparison.Ordinal); // readable, not \u-escaped
        using var second = JsonDocument.Parse(lines[1]);
        Assert.False(second.RootElement.GetProperty("hit").GetBoolean());
        Assert.Equal("Osaka, \"probably\"", second.RootElement.GetProperty("answer").GetString());
    }

    [Theory]
    [InlineData("/a/b", "/a/b", 1f)]
    [InlineData("/a/b:0.25", "/a/b", 0.25f)]
    [InlineData("/a/b:-1", "/a/b", -1f)]
    [InlineData("C:/adapters/x", "C:/adapters/x", 1f)]
    [InlineData("/odd:name/x", "/odd:name/x", 1f)]
    public void Adapter_arguments_split_off_a_weight_only_when_one_is_there(string text, string directory, float weight)
    {
        Assert.Equal(new AdapterSpec(directory, weight), AdapterSpec.Parse(text));
    }
}
