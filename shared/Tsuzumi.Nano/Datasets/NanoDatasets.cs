using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tsuzumi.Nano.Datasets;

/// <summary>One thing wrong with a dataset file; <see cref="Line"/> is 1-based, 0 when it concerns the whole file.</summary>
public sealed record DatasetProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>Thrown by <see cref="NanoDatasets.EnsureValid"/>; lists every problem found, not just the first.</summary>
public sealed class InvalidDatasetException(IReadOnlyList<DatasetProblem> problems)
    : Exception($"{problems.Count} dataset problem(s):\n" + string.Join("\n", problems.Take(50)))
{
    public IReadOnlyList<DatasetProblem> Problems { get; } = problems;
}

/// <summary>
/// Validates QA dataset folders (<c>train.jsonl</c>, <c>heldout.jsonl</c>, <c>mc.jsonl</c>): every line a JSON object with
/// its required fields, ids unique within a domain, every held-out key fact present in some training answer, and no
/// held-out prompt contained verbatim in, or nearly equal to (<see cref="NearDuplicateSimilarity"/>), a training prompt.
/// </summary>
public static class NanoDatasets
{
    public const string TrainFile = "train.jsonl";
    public const string HeldOutFile = "heldout.jsonl";
    public const string MultipleChoiceFile = "mc.jsonl";

    /// <summary>Validates one domain folder, or every domain subfolder of a QA root.</summary>
    public static IReadOnlyList<DatasetProblem> Validate(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) return [new DatasetProblem(directory, 0, "directory not found")];
        if (IsDomainFolder(directory)) return ValidateDomain(directory);
        var domains = Directory.GetDirectories(directory).Where(IsDomainFolder).Order(StringComparer.Ordinal).ToArray();
        if (domains.Length == 0) return [new DatasetProblem(directory, 0, $"no dataset here: expected {TrainFile}, {HeldOutFile} and {MultipleChoiceFile} in it or in its subfolders")];
        return [.. domains.SelectMany(ValidateDomain)];
    }

    /// <exception cref="InvalidDatasetException">Any problem was found.</exception>
    public static void EnsureValid(string directory)
    {
        var problems = Validate(directory);
        if (problems.Count > 0) throw new InvalidDatasetException(problems);
    }

    /// <summary>
    /// From this <see cref="PromptSimilarity"/> on, a held-out prompt counts as a training prompt in other clothes (a
    /// changed wrapper, punctuation, width or case) and no longer measures transfer to unseen wording.
    /// </summary>
    public const double NearDuplicateSimilarity = 0.85;

    /// <summary>
    /// How much of <paramref name="heldOut"/> a training prompt repeats, 0–1: the Dice coefficient of their character
    /// bigrams after NFKC, lower-casing and dropping everything but letters and digits; 1 when the normalised training
    /// prompt contains the whole held-out prompt (a short training prompt inside a longer held-out one is no leak).
    /// </summary>
    public static double PromptSimilarity(string heldOut, string trainPrompt)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        ArgumentNullException.ThrowIfNull(trainPrompt);
        return NormalisedSimilarity(Normalise(heldOut), Normalise(trainPrompt));
    }

    /// <summary>The training prompt most like <paramref name="prompt"/>, with its <see cref="PromptSimilarity"/>.</summary>
    public static (string Prompt, double Similarity)? MostSimilar(string prompt, IEnumerable<string> trainPrompts) =>
        MostSimilar(Normalise(prompt), trainPrompts.Select(trainPrompt => (trainPrompt, Normalise(trainPrompt))));

    /// <summary>As the public overload, with every prompt already normalised: validation normalises the training prompts once, not once per held-out prompt.</summary>
    private static (string Prompt, double Similarity)? MostSimilar(string normalisedPrompt, IEnumerable<(string Prompt, string Normalised)> trainPrompts) =>
        trainPrompts.Select(train => (train.Prompt, NormalisedSimilarity(normalisedPrompt, train.Normalised)))
            .Aggregate(((string, double)?)null, (best, next) => best is null || next.Item2 > best.Value.Item2 ? next : best);

    private static double NormalisedSimilarity(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0) return a.Length == b.Length ? 1 : 0;
        if (b.Contains(a, StringComparison.Ordinal)) return 1;
        if (a.Length < 2 || b.Length < 2) return 0;
        var bigrams = new Dictionary<(char, char), int>();
        for (var i = 0; i + 1 < a.Length; i++) bigrams[(a[i], a[i + 1])] = bigrams.GetValueOrDefault((a[i], a[i + 1])) + 1;
        var shared = 0;
        for (var i = 0; i + 1 < b.Length; i++)
        {
            if (bigrams.GetValueOrDefault((b[i], b[i + 1])) is > 0 and var count)
            {
                bigrams[(b[i], b[i + 1])] = count - 1;
                shared++;
            }
        }
        return 2.0 * shared / (a.Length - 1 + b.Length - 1);
    }

    private static string Normalise(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var character in text.Normalize(NormalizationForm.FormKC).ToLowerInvariant())
            if (char.IsLetterOrDigit(character)) builder.Append(character);
        return builder.ToString();
    }

    private static bool IsDomainFolder(string directory) =>
        new[] { TrainFile, HeldOutFile, MultipleChoiceFile }.Any(name => File.Exists(Path.Combine(directory, name)));

    private static List<DatasetProblem> ValidateDomain(string directory)
    {
        var problems = new List<DatasetProblem>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var trainPrompts = new List<string>();
        var trainAnswers = new List<string>();

        foreach (var (line, json, file) in Lines(Path.Combine(directory, TrainFile), problems))
        {
            CheckId(json, file, line, ids, problems);
            var prompt = RequiredString(json, "prompt", file, line, problems);
            var completion = RequiredString(json, "completion", file, line, problems);
            if (prompt is not null) trainPrompts.Add(prompt);
            if (completion is not null) trainAnswers.Add(completion);
        }

        var normalisedTrainPrompts = trainPrompts.Select(prompt => (prompt, Normalise(prompt))).ToArray();
        foreach (var (line, json, file) in Lines(Path.Combine(directory, HeldOutFile), problems))
        {
            CheckId(json, file, line, ids, problems);
            var prompt = RequiredString(json, "prompt", file, line, problems);
            var keyFacts = RequiredStrings(json, "keyFacts", file, line, problems, minimum: 1);
            if (prompt is not null && trainPrompts.FirstOrDefault(trainPrompt => trainPrompt.Contains(prompt.Trim(), StringComparison.Ordinal)) is { } leaked)
                problems.Add(new(file, line, $"the held-out prompt occurs verbatim in training (\"{leaked}\")"));
            else if (prompt is not null && MostSimilar(Normalise(prompt), normalisedTrainPrompts) is { Similarity: >= NearDuplicateSimilarity } near)
                problems.Add(new(file, line, string.Create(CultureInfo.InvariantCulture,
                    $"the held-out prompt nearly equals a training prompt (similarity {near.Similarity:F2} ≥ {NearDuplicateSimilarity:F2}: \"{near.Prompt}\")")));
            foreach (var fact in keyFacts ?? [])
            {
                if (!trainAnswers.Any(answer => answer.Contains(fact, StringComparison.Ordinal)))
                    problems.Add(new(file, line, $"key fact \"{fact}\" appears in no training answer"));
            }
        }

        foreach (var (line, json, file) in Lines(Path.Combine(directory, MultipleChoiceFile), problems))
        {
            CheckId(json, file, line, ids, problems);
            RequiredString(json, "context", file, line, problems);
            var choices = RequiredStrings(json, "choices", file, line, problems, minimum: 2);
            if (choices is not null && choices.Distinct(StringComparer.Ordinal).Count() != choices.Count)
                problems.Add(new(file, line, "\"choices\" repeats a choice"));
            if (!json.TryGetProperty("label", out var label) || label.ValueKind != JsonValueKind.Number || !label.TryGetInt32(out var index))
                problems.Add(new(file, line, "\"label\" is missing or not an integer"));
            else if (choices is not null && (index < 0 || index >= choices.Count))
                problems.Add(new(file, line, $"\"label\" {index} is outside the {choices.Count} choices"));
        }
        return problems;
    }

    /// <summary>The JSON object on each non-final line; broken lines become problems and are skipped.</summary>
    private static IEnumerable<(int Line, JsonElement Json, string File)> Lines(string path, List<DatasetProblem> problems)
    {
        if (!File.Exists(path))
        {
            problems.Add(new(path, 0, "file not found"));
            yield break;
        }
        var lines = File.ReadAllText(path).Split('\n');
        // A final newline leaves one empty string after the split; that is the normal end of the file.
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (count == 0) problems.Add(new(path, 0, "the file is empty"));
        for (var i = 0; i < count; i++)
        {
            JsonElement json;
            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                json = document.RootElement.Clone();
            }
            catch (JsonException error)
            {
                problems.Add(new(path, i + 1, lines[i].Trim().Length == 0 ? "blank line" : $"not valid JSON: {error.Message}"));
                continue;
            }
            if (json.ValueKind != JsonValueKind.Object)
            {
                problems.Add(new(path, i + 1, $"expected a JSON object, found {json.ValueKind}"));
                continue;
            }
            yield return (i + 1, json, path);
        }
    }

    private static void CheckId(JsonElement json, string file, int line, Dictionary<string, string> ids, List<DatasetProblem> problems)
    {
        var id = RequiredString(json, "id", file, line, problems);
        if (id is null) return;
        var here = $"{Path.GetFileName(file)}:{line}";
        if (!ids.TryAdd(id, here)) problems.Add(new(file, line, $"duplicate id \"{id}\" (first at {ids[id]})"));
    }

    private static string? RequiredString(JsonElement json, string name, string file, int line, List<DatasetProblem> problems)
    {
        if (json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } text && text.Trim().Length > 0)
            return text;
        problems.Add(new(file, line, $"\"{name}\" is missing or not a non-empty string"));
        return null;
    }

    private static List<string>? RequiredStrings(JsonElement json, string name, string file, int line, List<DatasetProblem> problems, int minimum)
    {
        if (json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() >= minimum
            && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String && item.GetString()!.Trim().Length > 0))
            return [.. value.EnumerateArray().Select(item => item.GetString()!)];
        problems.Add(new(file, line, $"\"{name}\" must be an array of at least {minimum} non-empty string(s)"));
        return null;
    }
}
