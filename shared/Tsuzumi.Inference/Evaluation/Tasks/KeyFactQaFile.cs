namespace Tsuzumi.Inference.Evaluation.Tasks;

/// <summary>Generative QA: JSON lines <c>{"id": str|int, "prompt": str, "keyFacts": [str, …]}</c> with at least one non-blank fact.</summary>
public static class KeyFactQaFile
{
    public static IReadOnlyList<KeyFactQuestion> Read(string path)
    {
        var questions = new List<KeyFactQuestion>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, item) in JsonLines.Read(path))
        {
            var id = JsonLines.IdOrDefault(item, "id", $"{line}");
            var prompt = JsonLines.RequiredString(item, "prompt", path, line);
            var facts = JsonLines.RequiredStrings(item, "keyFacts", path, line);
            if (facts.Count == 0) throw new EvaluationDataException(path, line, "'keyFacts' is empty: nothing to check the answer against");
            if (facts.Any(fact => KeyFactMatcher.Normalise(fact).Length == 0))
                throw new EvaluationDataException(path, line, "a key fact is blank after normalisation (it would match every answer)");
            if (!seen.Add(id)) throw new EvaluationDataException(path, line, $"duplicate id '{id}'");
            questions.Add(new KeyFactQuestion(id, prompt, facts));
        }
        if (questions.Count == 0) throw new EvaluationDataException(path, null, "no questions in the file");
        return questions;
    }
}
