namespace Tsuzumi.Inference.Evaluation.Tasks;

/// <summary>
/// PIQA as distributed (<c>valid.jsonl</c> with <c>{goal, sol1, sol2}</c> plus <c>valid-labels.lst</c>, one 0/1 per line),
/// with lm-evaluation-harness's prompt: context <c>"Question: {goal}\nAnswer:"</c>, choices sol1/sol2 after a
/// <c>" "</c> delimiter (lm_eval/tasks/piqa/piqa.yaml).
/// </summary>
public static class PiqaFile
{
    /// <param name="labelsPath">Defaults to <c>X-labels.lst</c> beside <c>X.jsonl</c>.</param>
    public static IReadOnlyList<MultipleChoiceQuestion> Read(string jsonlPath, string? labelsPath = null)
    {
        labelsPath ??= Path.Combine(Path.GetDirectoryName(jsonlPath) ?? ".", Path.GetFileNameWithoutExtension(jsonlPath) + "-labels.lst");
        if (!File.Exists(labelsPath)) throw new EvaluationDataException(labelsPath, null, "labels file not found (PIQA keeps labels beside the items)");
        var labels = File.ReadAllLines(labelsPath);
        var questions = new List<MultipleChoiceQuestion>();
        foreach (var (line, item) in JsonLines.Read(jsonlPath))
        {
            var goal = JsonLines.RequiredString(item, "goal", jsonlPath, line);
            var choices = new[] { JsonLines.RequiredString(item, "sol1", jsonlPath, line), JsonLines.RequiredString(item, "sol2", jsonlPath, line) };
            if (line > labels.Length) throw new EvaluationDataException(labelsPath, line, $"missing: the labels end before item {line} of {jsonlPath}");
            if (!int.TryParse(labels[line - 1].Trim(), out var label) || label is not (0 or 1))
                throw new EvaluationDataException(labelsPath, line, $"label '{labels[line - 1]}' is not 0 or 1");
            questions.Add(MultipleChoiceFile.Validated(jsonlPath, line,
                new MultipleChoiceQuestion($"{line}", $"Question: {goal}\nAnswer:", choices, label, TargetDelimiter: " ")));
        }
        if (questions.Count == 0) throw new EvaluationDataException(jsonlPath, null, "no questions in the file");
        var extra = labels.Skip(questions.Count).Count(text => text.Trim().Length > 0);
        if (extra > 0) throw new EvaluationDataException(labelsPath, questions.Count + 1, $"{extra} more labels than items in {jsonlPath}");
        return questions;
    }
}
