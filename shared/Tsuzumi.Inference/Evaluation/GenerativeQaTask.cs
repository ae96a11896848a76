using System.Diagnostics;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>
/// Generative QA scored by key facts: each prompt is answered greedily (optionally inside the model's chat template)
/// and the answer is checked with <see cref="KeyFactMatcher"/>. Metrics: <c>hit</c> (all facts present) and
/// <c>facts</c> (fraction of a question's facts present), each averaged over questions with its standard error.
/// </summary>
public sealed class GenerativeQaTask(string name, IReadOnlyList<KeyFactQuestion> questions) : EvaluationTask(name)
{
    public IReadOnlyList<KeyFactQuestion> Questions { get; } = questions;

    public override int QuestionCount => Questions.Count;

    public override TaskResult Run(EvaluationSubject subject, EvaluationOptions options, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxNewTokens, "max new tokens must be ≥ 1");
        var clock = Stopwatch.StartNew();
        var template = options.Chat ? ChatTemplate.Detect(subject.ChatTemplateText, subject.Tokenizer, options.ChatFormat) : null;
        using var adapters = subject.Adapters.Count == 0 ? null : new AdapterBatch([subject.Adapters], TorchSharp.torch.ScalarType.Float32);
        var generator = new TextGenerator(subject.Model, subject.Tokenizer, adapters);
        var outcomes = new List<KeyFactOutcome>(Questions.Count);
        foreach (var question in Questions)
        {
            var prompt = PromptTokens(subject.Tokenizer, template, question.Prompt);
            var result = generator.Generate(new GenerationRequest(prompt, options.MaxNewTokens, SamplingOptions.Greedy), cancellation);
            outcomes.Add(new KeyFactOutcome(question.Id, result.Text, KeyFactMatcher.Found(result.Text, question.KeyFacts)));
            progress?.Report(outcomes.Count);
        }
        return new GenerativeQaResult(Name, Metrics(outcomes), clock.Elapsed, outcomes);
    }

    public static IReadOnlyList<MetricValue> Metrics(IReadOnlyList<KeyFactOutcome> outcomes) =>
    [
        MetricValue.Mean("hit", outcomes.Select(outcome => outcome.IsHit ? 1.0 : 0.0).ToArray()),
        MetricValue.Mean("facts", outcomes.Select(outcome => outcome.FactsFound.Count(found => found) / (double)outcome.FactsFound.Count).ToArray()),
    ];

    /// <summary>
    /// Without a template: the prompt with the model's BOS rule. With one: the rendered user turn, special-token text
    /// parsed; the Llama formats write their own BOS, and plain and qa renderings get the model's BOS like a bare prompt.
    /// </summary>
    internal static IReadOnlyList<int> PromptTokens(ITokenizer tokenizer, ChatTemplate? template, string prompt)
    {
        if (template is null) return tokenizer.Encode(prompt, addSpecialTokens: true);
        var rendered = template.Render([Message.User(prompt)]);
        return template.UsesModelBos
            ? tokenizer.Encode(rendered, addSpecialTokens: true)
            : tokenizer.Encode(rendered, addSpecialTokens: false, parseSpecialTokens: true);
    }
}
