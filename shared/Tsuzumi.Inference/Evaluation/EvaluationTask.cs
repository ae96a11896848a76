namespace Tsuzumi.Inference.Evaluation;

/// <summary>A named set of questions that can be run against a model.</summary>
public abstract class EvaluationTask(string name)
{
    public string Name { get; } = name;

    public abstract int QuestionCount { get; }

    /// <summary>Runs every question; <paramref name="progress"/> receives the number of questions done.</summary>
    public abstract TaskResult Run(EvaluationSubject subject, EvaluationOptions options, IProgress<int>? progress = null, CancellationToken cancellation = default);

    /// <summary>
    /// The first <paramref name="limit"/> items (lm-eval's <c>--limit</c>), or, with a <paramref name="seed"/>, a seeded
    /// random sample of that many, kept in file order. No limit: all items.
    /// </summary>
    public static IReadOnlyList<T> Subset<T>(IReadOnlyList<T> items, int? limit, int? seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (limit is < 0) throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be ≥ 0");
        if (limit is not { } count || count >= items.Count) return items;
        if (seed is not { } value) return items.Take(count).ToArray();
        var indices = Enumerable.Range(0, items.Count).ToArray();
        new Random(value).Shuffle(indices);
        return indices.Take(count).Order().Select(index => items[index]).ToArray();
    }
}
