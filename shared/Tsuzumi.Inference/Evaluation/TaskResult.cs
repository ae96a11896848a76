namespace Tsuzumi.Inference.Evaluation;

/// <summary>One task's outcome for one contestant: aggregate metrics with standard errors, and per-question detail.</summary>
public abstract record TaskResult(string TaskName, int QuestionCount, IReadOnlyList<MetricValue> Metrics, TimeSpan Elapsed)
{
    public MetricValue Metric(string name) =>
        Metrics.FirstOrDefault(metric => metric.Name == name) ?? throw new KeyNotFoundException($"task '{TaskName}' has no metric '{name}'");
}

/// <summary>One multiple-choice question as scored: every choice's log-likelihood and the two predictions.</summary>
public sealed record MultipleChoiceOutcome(string Id, int Label, IReadOnlyList<Loglikelihood> Choices, int Predicted, int PredictedNormalised);

public sealed record MultipleChoiceResult(string TaskName, IReadOnlyList<MetricValue> Metrics, TimeSpan Elapsed, IReadOnlyList<MultipleChoiceOutcome> Outcomes)
    : TaskResult(TaskName, Outcomes.Count, Metrics, Elapsed);

/// <summary>One generated answer and which key facts it contains.</summary>
public sealed record KeyFactOutcome(string Id, string Answer, IReadOnlyList<bool> FactsFound)
{
    public bool IsHit => FactsFound.All(found => found);
}

public sealed record GenerativeQaResult(string TaskName, IReadOnlyList<MetricValue> Metrics, TimeSpan Elapsed, IReadOnlyList<KeyFactOutcome> Outcomes)
    : TaskResult(TaskName, Outcomes.Count, Metrics, Elapsed);
