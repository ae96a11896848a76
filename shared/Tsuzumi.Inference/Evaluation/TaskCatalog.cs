using Tsuzumi.Inference.Evaluation.Tasks;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>
/// Turns a task argument into a task. Built-in names read the shared data folder: <c>piqa</c>
/// (piqa/valid.jsonl + valid-labels.lst) and <c>jcommonsenseqa</c> / <c>jcqa</c> (jglue/jcommonsenseqa-v1.3/valid-v1.3.json).
/// <c>mc:FILE</c> is a generic multiple-choice file, <c>qa:FILE</c> a key-fact QA file, and a bare FILE is recognised
/// by the keys of its first item.
/// </summary>
public static class TaskCatalog
{
    public static readonly IReadOnlyList<string> BuiltInNames = ["piqa", "jcommonsenseqa"];

    public static EvaluationTask Resolve(string argument, string evalDataDirectory, int? limit = null, int? seed = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(argument);
        switch (argument.Trim().ToLowerInvariant())
        {
            case "piqa":
                return Multiple("piqa", PiqaFile.Read(Path.Combine(evalDataDirectory, "piqa", "valid.jsonl")), limit, seed);
            case "jcommonsenseqa" or "jcqa":
                return Multiple("jcommonsenseqa", JCommonsenseQaFile.Read(Path.Combine(evalDataDirectory, "jglue", "jcommonsenseqa-v1.3", "valid-v1.3.json")), limit, seed);
        }
        if (argument.StartsWith("mc:", StringComparison.Ordinal)) return Multiple(NameOf(argument[3..]), MultipleChoiceFile.Read(argument[3..]), limit, seed);
        if (argument.StartsWith("qa:", StringComparison.Ordinal)) return Generative(NameOf(argument[3..]), KeyFactQaFile.Read(argument[3..]), limit, seed);
        if (File.Exists(argument))
        {
            return KindOf(argument) switch
            {
                "mc" => Multiple(NameOf(argument), MultipleChoiceFile.Read(argument), limit, seed),
                _ => Generative(NameOf(argument), KeyFactQaFile.Read(argument), limit, seed),
            };
        }
        throw new ArgumentException($"unknown task '{argument}': use {string.Join(", ", BuiltInNames)}, mc:FILE, qa:FILE or an existing .jsonl file");
    }

    private static EvaluationTask Multiple(string name, IReadOnlyList<MultipleChoiceQuestion> questions, int? limit, int? seed) =>
        new MultipleChoiceTask(name, EvaluationTask.Subset(questions, limit, seed));

    private static EvaluationTask Generative(string name, IReadOnlyList<KeyFactQuestion> questions, int? limit, int? seed) =>
        new GenerativeQaTask(name, EvaluationTask.Subset(questions, limit, seed));

    private static string NameOf(string path) => Path.GetFileNameWithoutExtension(path);

    /// <summary>"mc" when the first item has context/choices/label, "qa" when it has prompt/keyFacts.</summary>
    private static string KindOf(string path)
    {
        foreach (var (line, item) in JsonLines.Read(path))
        {
            if (item.TryGetProperty("choices", out _) && item.TryGetProperty("context", out _)) return "mc";
            if (item.TryGetProperty("keyFacts", out _) && item.TryGetProperty("prompt", out _)) return "qa";
            throw new EvaluationDataException(path, line, "neither a multiple-choice item {context, choices, label} nor a QA item {id, prompt, keyFacts}");
        }
        throw new EvaluationDataException(path, null, "no items in the file");
    }
}
