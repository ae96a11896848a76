namespace Tsuzumi.Inference.Evaluation.Tasks;

/// <summary>
/// The generic multiple-choice format: JSON lines <c>{"context": str, "choices": [str, …], "label": int}</c>
/// (an optional <c>"id"</c>). Choices are continuations used exactly as given: no delimiter is inserted,
/// so write <c>" Paris"</c> if a space belongs between context and answer.
/// </summary>
public static class MultipleChoiceFile
{
    public static IReadOnlyList<MultipleChoiceQuestion> Read(string path)
    {
        var questions = new List<MultipleChoiceQuestion>();
        foreach (var (line, item) in JsonLines.Read(path))
        {
            var context = JsonLines.RequiredString(item, "context", path, line);
            var choices = JsonLines.RequiredStrings(item, "choices", path, line);
            var label = JsonLines.RequiredInt(item, "label", path, line);
            questions.Add(Validated(path, line, new MultipleChoiceQuestion(JsonLines.IdOrDefault(item, "id", $"{line}"), context, choices, label)));
        }
        if (questions.Count == 0) throw new EvaluationDataException(path, null, "no questions in the file");
        return questions;
    }

    /// <summary>Checks what every reader must guarantee: at least two choices, none empty, and a label among them.</summary>
    internal static MultipleChoiceQuestion Validated(string path, int line, MultipleChoiceQuestion question)
    {
        if (question.Choices.Count < 2)
            throw new EvaluationDataException(path, line, $"needs at least 2 choices, found {question.Choices.Count}");
        if (question.Choices.Any(choice => choice.Length == 0))
            throw new EvaluationDataException(path, line, "a choice is empty (acc_norm would divide by zero)");
        if (question.Label < 0 || question.Label >= question.Choices.Count)
            throw new EvaluationDataException(path, line, $"label {question.Label} is not a choice index (0..{question.Choices.Count - 1})");
        return question;
    }
}
