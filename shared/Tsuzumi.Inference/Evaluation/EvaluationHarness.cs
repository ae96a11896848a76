using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Loading;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>
/// Runs every task for every contestant, one model in memory at a time, and collects a table
/// (rows: contestants; columns: task metrics).
/// </summary>
public static class EvaluationHarness
{
    /// <summary>Progress lines ("contestant · task · done/total") go to <paramref name="log"/> when given.</summary>
    public static EvaluationTable Run(IReadOnlyList<Contestant> contestants, IReadOnlyList<EvaluationTask> tasks, EvaluationOptions options,
        ScalarType? dtype = null, Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(contestants);
        ArgumentNullException.ThrowIfNull(tasks);
        if (contestants.Select(contestant => contestant.Name).Distinct().Count() != contestants.Count)
            throw new ArgumentException("contestant names must be unique (they label the table's rows)", nameof(contestants));
        var rows = new List<ContestantResult>();
        foreach (var contestant in contestants)
        {
            using var loaded = PretrainedModel.Load(contestant.ModelPath, dtype ?? contestant.DType);
            log?.Invoke($"{contestant.Name}: {contestant.ModelPath} in {loaded.Model.DType}");
            var adapters = contestant.Adapters
                .Select(spec => new WeightedAdapter(LoraAdapter.Load(spec.Directory, loaded.Model.Config, spec.Directory), spec.Weight))
                .ToArray();
            try
            {
                var subject = new EvaluationSubject(loaded.Model, loaded.Tokenizer, loaded.ChatTemplate, adapters);
                rows.Add(Evaluate(contestant, subject, tasks, options, log, cancellation));
            }
            finally
            {
                foreach (var adapter in adapters) adapter.Adapter.Dispose();
            }
        }
        return new EvaluationTable(rows);
    }

    /// <summary>Runs every task against an already-loaded subject.</summary>
    public static ContestantResult Evaluate(Contestant contestant, EvaluationSubject subject, IReadOnlyList<EvaluationTask> tasks, EvaluationOptions options,
        Action<string>? log = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var results = new List<TaskResult>();
        foreach (var task in tasks)
        {
            var lastReported = 0;
            var progress = log is null ? null : new InlineProgress(done =>
            {
                // Roughly every tenth of the task, and at the end.
                if (done != task.QuestionCount && done - lastReported < Math.Max(1, task.QuestionCount / 10)) return;
                lastReported = done;
                log($"{contestant.Name} · {task.Name} · {done}/{task.QuestionCount}");
            });
            results.Add(task.Run(subject, contestant.ChatFormat is null ? options : options with { ChatFormat = contestant.ChatFormat }, progress, cancellation));
        }
        return new ContestantResult(contestant, results);
    }

    /// <summary>Reports synchronously on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
