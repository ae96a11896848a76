using Tsuzumi.Inference.Evaluation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class MultipleChoiceTaskTests
{
    private static Loglikelihood Score(double value) => new(value, false, 1);

    [Fact]
    public void Acc_and_acc_norm_disagree_when_a_long_choice_has_the_lower_sum_but_the_higher_per_character_score()
    {
        // "no": −2 in total (−1 per character); "definitely yes": −3 in total (−0.214 per character).
        var question = new MultipleChoiceQuestion("q", "Is it?", ["no", "definitely yes"], Label: 1, TargetDelimiter: " ");

        var outcome = MultipleChoiceTask.Grade(question, [Score(-2), Score(-3)]);

        Assert.Equal(0, outcome.Predicted);
        Assert.Equal(1, outcome.PredictedNormalised);
        var metrics = MultipleChoiceTask.Metrics([outcome]);
        Assert.Equal(0, metrics[0].Value);
        Assert.Equal(1, metrics[1].Value);
    }

    [Fact]
    public void Acc_norm_divides_by_the_choice_length_without_the_delimiter()
    {
        // With the " " delimiter counted, "ab" would be 3 long: −3/3 = −1 beats −2.1/2 = −1.05 … but the harness uses
        // len("ab") = 2: −1.5 loses to −1.05.
        var question = new MultipleChoiceQuestion("q", "c", ["ab", "xy"], Label: 1, TargetDelimiter: " ");

        var outcome = MultipleChoiceTask.Grade(question, [Score(-3), Score(-2.1)]);

        Assert.Equal(1, outcome.PredictedNormalised);
    }

    [Fact]
    public void Character_length_counts_code_points_like_python()
    {
        Assert.Equal(2, MultipleChoiceTask.CharacterLength("𝔸b"));   // a surrogate pair is one character
        Assert.Equal(4, MultipleChoiceTask.CharacterLength("マザーボ"));
    }

    [Fact]
    public void Ties_go_to_the_first_choice_as_with_numpy_argmax()
    {
        var question = new MultipleChoiceQuestion("q", "c", ["aa", "bb", "cc"], Label: 2);

        var outcome = MultipleChoiceTask.Grade(question, [Score(-5), Score(-1), Score(-1)]);

        Assert.Equal(1, outcome.Predicted);
        Assert.Equal(1, outcome.PredictedNormalised);
    }

    [Fact]
    public void Standard_error_is_the_sample_deviation_over_root_n()
    {
        // mean 0.75; sample variance ((3 × 0.25²) + 0.75²) / 3 = 0.25; stderr = 0.5 / √4 = 0.25.
        var metric = MetricValue.Mean("acc", [1, 0, 1, 1]);

        Assert.Equal(0.75, metric.Value, 1e-12);
        Assert.Equal(0.25, metric.StandardError, 1e-12);
    }

    [Fact]
    public void One_question_has_a_mean_but_no_standard_error()
    {
        var metric = MetricValue.Mean("acc", [1]);

        Assert.Equal(1, metric.Value);
        Assert.True(double.IsNaN(metric.StandardError));
    }

    [Fact]
    public void A_limit_takes_the_first_items_and_a_seed_takes_a_reproducible_sample_in_file_order()
    {
        var items = Enumerable.Range(0, 100).ToArray();

        Assert.Equal([0, 1, 2, 3, 4], EvaluationTask.Subset(items, 5, null));
        var sample = EvaluationTask.Subset(items, 10, 7);
        Assert.Equal(sample, EvaluationTask.Subset(items, 10, 7));
        Assert.Equal(sample.Order(), sample);
        Assert.Equal(10, sample.Distinct().Count());
        Assert.NotEqual(sample, EvaluationTask.Subset(items, 10, 8));
        Assert.Same(items, EvaluationTask.Subset(items, null, 7));
        Assert.Same(items, EvaluationTask.Subset(items, 1000, null));
    }

    [Fact]
    public void Running_a_task_scores_each_choice_as_delimiter_plus_choice_after_the_context()
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
        var tokenizer = new ToyTokenizer();
        MultipleChoiceQuestion[] questions =
        [
            new("1", "q: abc", ["cd", "b", "zz"], 0, " "),
            new("2", "xa", ["bc", "cd"], 1),
            new("3", "what?", ["abab", "c"], 1, "\n"),
        ];
        var subject = new EvaluationSubject(model, tokenizer, null, []);

        var result = (MultipleChoiceResult)new MultipleChoiceTask("toy", questions).Run(subject, new EvaluationOptions { BatchSize = 2 }, cancellation: TestContext.Current.CancellationToken);

        var scorer = new LoglikelihoodScorer(model, tokenizer);
        for (var q = 0; q < questions.Length; q++)
        {
            var expected = scorer.Score(questions[q].Choices.Select((_, i) => (questions[q].Context, questions[q].Continuation(i))).ToArray(), TestContext.Current.CancellationToken);
            for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i].LogProbability, result.Outcomes[q].Choices[i].LogProbability, 1e-4);
            Assert.Equal(MultipleChoiceTask.Grade(questions[q], expected).Predicted, result.Outcomes[q].Predicted);
        }
        var accuracy = result.Outcomes.Average(outcome => outcome.Predicted == outcome.Label ? 1.0 : 0.0);
        Assert.Equal(accuracy, result.Metric("acc").Value, 1e-12);
        Assert.Equal(3, result.QuestionCount);
    }
}
