namespace Tsuzumi.Inference.Evaluation.Tasks;

/// <summary>
/// JCommonsenseQA (JGLUE v1.3) as distributed: JSON lines <c>{q_id, question, choice0..choice4, label}</c>. The prompt
/// is lm-evaluation-harness's own Japanese leaderboard template (lm_eval/tasks/japanese_leaderboard/
/// ja_leaderboard_jcommonsenseqa.yaml), zero-shot: its description, the instruction listing the choices, the question,
/// then <c>"### 応答："</c>; each choice follows a <c>"\n"</c> delimiter.
/// </summary>
public static class JCommonsenseQaFile
{
    private const int ChoiceCount = 5;

    public const string Description = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";

    public static IReadOnlyList<MultipleChoiceQuestion> Read(string path)
    {
        var questions = new List<MultipleChoiceQuestion>();
        foreach (var (line, item) in JsonLines.Read(path))
        {
            var question = JsonLines.RequiredString(item, "question", path, line);
            var choices = Enumerable.Range(0, ChoiceCount).Select(index => JsonLines.RequiredString(item, $"choice{index}", path, line)).ToArray();
            var label = JsonLines.RequiredInt(item, "label", path, line);
            questions.Add(MultipleChoiceFile.Validated(path, line,
                new MultipleChoiceQuestion(JsonLines.IdOrDefault(item, "q_id", $"{line}"), Prompt(question, choices), choices, label, TargetDelimiter: "\n")));
        }
        if (questions.Count == 0) throw new EvaluationDataException(path, null, "no questions in the file");
        return questions;
    }

    /// <summary>The zero-shot context: description + the template's doc_to_text.</summary>
    public static string Prompt(string question, IReadOnlyList<string> choices) =>
        Description
        + "### 指示：\n出力は以下から選択してください：\n"
        + string.Concat(choices.Select(choice => $"- {choice}\n"))
        + $"\n### 入力：\n{question}\n\n### 応答：";
}
