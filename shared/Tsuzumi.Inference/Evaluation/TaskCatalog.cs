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

    /// <summary>
    /// Resolves several task arguments. Tasks from files are named by the file's stem; when stems repeat (the same
    /// file name in several folders, e.g. each domain's heldout.jsonl) they are named folder/stem instead.
    /// </summary>
    public static IReadOnlyList<EvaluationTask> ResolveAll(IReadOnlyList<string> arguments, string evalDataDirectory, int? limit = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var stems = arguments.Select(argument => NameOf(FilePart(argument))).ToArray();
        return arguments.Select((argument, index) =>
        {
            var repeated = stems.Count(stem => stem == stems[index]) > 1;
            var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(FilePart(argument))));
            return Resolve(argument, evalDataDirectory, limit, seed, repeated ? $"{folder}/{stems[index]}" : null);
        }).ToArray();
    }

    public static EvaluationTask Resolve(string argument, string evalDataDirectory, int? limit = null, int? seed = null) =>
        Resolve(argument, evalDataDirectory, limit, seed, name: null);

    private static string FilePart(string argument) =>
        argument.StartsWith("mc:", StringComparison.Ordinal) || argument.StartsWith("qa:", StringComparison.Ordinal) ? argument[3..] : argument;

    private static EvaluationTask Resolve(string argument, string evalDataDirectory, int? limit, int? seed, string? name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(argument);
        switch (argument.Trim().ToLowerInvariant())
        {
            case "piqa":
                return Multiple("piqa", PiqaFile.Read(Path.Combine(evalDataDirectory, "piqa", "valid.jsonl")), limit, seed);
            case "jcommonsenseqa" or "jcqa":
                return Multiple("jcommonsenseqa", JCommonsenseQaFile.Read(Path.Combine(evalDataDirectory, "jglue", "jcommonsenseqa-v1.3", "valid-v1.3.json")), limit, seed);
        }
        if (argument.StartsWith("mc:", StringComparison.Ordinal)) return Multiple(name ?? NameOf(argument[3..]), MultipleChoiceFile.Read(argument[3..]), limit, seed);
        if (argument.StartsWith("qa:", StringComparison.Ordinal)) return Generative(name ?? NameOf(argument[3..]), KeyFactQaFile.Read(argument[3..]), limit, seed);
        if (File.Exists(argument))
        {
            return KindOf(argument) switch
            {
                "mc" => Multiple(name ?? NameOf(argument), MultipleChoiceFile.Read(argument), limit, seed),
                _ => Generative(name ?? NameOf(argument), KeyFactQaFile.Read(argument), limit, seed),
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
