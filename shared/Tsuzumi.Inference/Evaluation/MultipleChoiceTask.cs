using System.Diagnostics;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>
/// A multiple-choice task scored by log-likelihood exactly as lm-evaluation-harness does: acc is 1 when the choice with
/// the highest summed continuation log-probability is the label; acc_norm divides each sum by the choice's length in
/// characters (Unicode code points, Python's <c>len</c>) first. Ties go to the lowest index (numpy's argmax).
/// </summary>
public sealed class MultipleChoiceTask(string name, IReadOnlyList<MultipleChoiceQuestion> questions) : EvaluationTask(name)
{
    /// <summary>Questions per scoring call: bounds memory and gives progress reports.</summary>
    private const int QuestionsPerChunk = 64;

    public IReadOnlyList<MultipleChoiceQuestion> Questions { get; } = questions;

    public override int QuestionCount => Questions.Count;

    public override TaskResult Run(EvaluationSubject subject, EvaluationOptions options, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        // With --chat, contexts become the user turn of the chat template, as lm-eval's --apply_chat_template does.
        var template = options.Chat ? ChatTemplate.Detect(subject.ChatTemplateText, subject.Tokenizer, options.ChatFormat) : null;
        var scorer = new LoglikelihoodScorer(subject.Model, subject.Tokenizer, new ScoringOptions
        {
            AddBos = options.AddBos || template is { UsesModelBos: true },
            BatchSize = options.BatchSize,
            Adapters = subject.Adapters,
            ParseSpecialTokens = template is not null,
        });
        var outcomes = new List<MultipleChoiceOutcome>(Questions.Count);
        foreach (var chunk in Questions.Chunk(QuestionsPerChunk))
        {
            var requests = chunk.SelectMany(question => question.Choices.Select((_, index) =>
                (template is null ? question.Context : template.Render([Message.User(question.Context)]), question.Continuation(index)))).ToArray();
            var scores = scorer.Score(requests, cancellation);
            var next = 0;
            foreach (var question in chunk)
            {
                var choices = scores.Skip(next).Take(question.Choices.Count).ToArray();
                next += choices.Length;
                outcomes.Add(Grade(question, choices));
            }
            progress?.Report(outcomes.Count);
        }
        return new MultipleChoiceResult(Name, Metrics(outcomes), clock.Elapsed, outcomes);
    }

    /// <summary>Both predictions for one question from its choices' log-likelihoods.</summary>
    public static MultipleChoiceOutcome Grade(MultipleChoiceQuestion question, IReadOnlyList<Loglikelihood> choices)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count != question.Choices.Count)
            throw new ArgumentException($"{choices.Count} scores for {question.Choices.Count} choices", nameof(choices));
        var raw = choices.Select(choice => choice.LogProbability).ToArray();
        var normalised = raw.Select((value, index) => value / CharacterLength(question.Choices[index])).ToArray();
        return new MultipleChoiceOutcome(question.Id, question.Label, choices, ArgMax(raw), ArgMax(normalised));
    }

    /// <summary>acc and acc_norm with their standard errors.</summary>
    public static IReadOnlyList<MetricValue> Metrics(IReadOnlyList<MultipleChoiceOutcome> outcomes) =>
    [
        MetricValue.Mean("acc", outcomes.Select(outcome => outcome.Predicted == outcome.Label ? 1.0 : 0.0).ToArray()),
        MetricValue.Mean("acc_norm", outcomes.Select(outcome => outcome.PredictedNormalised == outcome.Label ? 1.0 : 0.0).ToArray()),
    ];

    /// <summary>Length as Python counts it: code points, so a surrogate pair is one character.</summary>
    public static int CharacterLength(string text) => text.EnumerateRunes().Count();

    private static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }
}
