using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Tsuzumi.Catalog;

/// <summary>Why one catalog entry was left out (or, when <see cref="Entry"/> is null, why the whole file was refused).</summary>
public sealed record CatalogProblem(string? Entry, string Reason)
{
    public override string ToString() => Entry is null ? Reason : $"{Entry}: {Reason}";
}

/// <summary>The catalog as far as it is valid, and what was wrong with the rest.</summary>
public sealed record CatalogLoadResult(ConstellationCatalog Catalog, IReadOnlyList<CatalogProblem> Problems);

/// <summary>A catalog file that cannot be used at all: unreadable, not JSON, or without a single usable base model.</summary>
public sealed class CatalogException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string CatalogPath { get; } = path;
}

/// <summary>
/// Reads <c>constellation.json</c>. An invalid specialist or base model is left out with its reason and the rest is
/// served; only a file that is not a catalog at all throws.
/// </summary>
public static partial class CatalogLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Loads a catalog file. <paramref name="verifyFiles"/> false skips the model and adapter file checks (routing-only tools).</summary>
    public static CatalogLoadResult Load(string path, bool verifyFiles = true)
    {
        var fullPath = Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new CatalogException(fullPath, $"cannot be read: {error.Message}");
        }
        return Parse(bytes, Path.GetDirectoryName(fullPath)!, fullPath, verifyFiles);
    }

    /// <summary>Parses catalog JSON; relative paths resolve against <paramref name="baseDirectory"/>.</summary>
    public static CatalogLoadResult Parse(ReadOnlySpan<byte> utf8Json, string baseDirectory, string sourceName = "catalog", bool verifyFiles = true)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException error)
        {
            throw new CatalogException(sourceName, $"is not valid JSON: {error.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CatalogException(sourceName, "must be a JSON object");
            var problems = new List<CatalogProblem>();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("baseModels" or "specialists" or "routing" or "$schema"))
                    problems.Add(new CatalogProblem(null, $"unknown top-level field '{property.Name}' ignored"));
            }

            var routing = ReadRouting(root, problems);
            var baseModels = ReadBaseModels(root, baseDirectory, verifyFiles, problems);
            if (baseModels.Count == 0)
                throw new CatalogException(sourceName, "declares no usable base model: " + string.Join("; ", problems));
            var specialists = ReadSpecialists(root, baseDirectory, verifyFiles, baseModels, problems);
            if (specialists.All(specialist => specialist.Id != routing.Fallback))
                problems.Add(new CatalogProblem("routing", $"fallback specialist '{routing.Fallback}' is not in the catalog; queries no specialist fits get no answer"));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(utf8Json);
            if (routing.LabelledQueries is { } labelledPath)
            {
                routing = routing with { LabelledQueries = Path.GetFullPath(labelledPath, baseDirectory) };
                var (labelled, bytes) = LabelledQueryFile.Read(routing.LabelledQueries, specialists, problems);
                specialists = [.. specialists.Select(specialist => specialist with { LabelledQueries = labelled[specialist.Id] })];
                hash.AppendData(bytes);
            }
            var version = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
            return new CatalogLoadResult(new ConstellationCatalog(baseModels, specialists, routing, version), problems);
        }
    }

    private static RoutingDefaults ReadRouting(JsonElement root, List<CatalogProblem> problems)
    {
        if (!root.TryGetProperty("routing", out var element)) return new RoutingDefaults();
        try
        {
            var routing = element.Deserialize<RoutingDefaults>(Json) ?? new RoutingDefaults();
            if (routing.TopK < 1) throw new InvalidDataException($"topK must be at least 1, not {routing.TopK}");
            if (!double.IsFinite(routing.Threshold)) throw new InvalidDataException("threshold must be a finite number");
            if (routing.LabelledQueries is { } labelled && string.IsNullOrWhiteSpace(labelled)) throw new InvalidDataException("labelledQueries must name a file");
            return routing;
        }
        catch (Exception error) when (error is JsonException or InvalidDataException)
        {
            problems.Add(new CatalogProblem("routing", $"{error.Message}; defaults used"));
            return new RoutingDefaults();
        }
    }

    private static List<BaseModelDefinition> ReadBaseModels(JsonElement root, string baseDirectory, bool verifyFiles, List<CatalogProblem> problems)
    {
        var models = new List<BaseModelDefinition>();
        foreach (var (element, index) in Entries(root, "baseModels", problems))
        {
            var label = EntryLabel("baseModels", element, index);
            try
            {
                var model = element.Deserialize<BaseModelDefinition>(Json) ?? throw new InvalidDataException("is null");
                ValidateId(model.Id);
                if (string.IsNullOrWhiteSpace(model.Path)) throw new InvalidDataException("path is required");
                if (model.DType is not (null or "bf16" or "f32")) throw new InvalidDataException($"dtype '{model.DType}' is not bf16 or f32");
                if (models.Any(existing => existing.Id == model.Id)) throw new InvalidDataException("duplicates an earlier id");
                var path = Path.GetFullPath(model.Path, baseDirectory);
                if (verifyFiles && !File.Exists(path) && !Directory.Exists(path)) throw new InvalidDataException($"path {path} does not exist");
                models.Add(model with { Path = path });
            }
            catch (Exception error) when (error is JsonException or InvalidDataException)
            {
                problems.Add(new CatalogProblem(label, error.Message));
            }
        }
        return models;
    }

    private static List<SpecialistDefinition> ReadSpecialists(
        JsonElement root, string baseDirectory, bool verifyFiles, IReadOnlyList<BaseModelDefinition> baseModels, List<CatalogProblem> problems)
    {
        var specialists = new List<SpecialistDefinition>();
        foreach (var (element, index) in Entries(root, "specialists", problems))
        {
            var label = EntryLabel("specialists", element, index);
            try
            {
                if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("labelledQueries", out _))
                    throw new InvalidDataException("labelledQueries belong in the file that routing.labelledQueries names, not in a specialist");
                var specialist = element.Deserialize<SpecialistDefinition>(Json) ?? throw new InvalidDataException("is null");
                specialists.Add(Validate(specialist, baseDirectory, verifyFiles, baseModels, specialists));
            }
            catch (Exception error) when (error is JsonException or InvalidDataException)
            {
                problems.Add(new CatalogProblem(label, error.Message));
            }
        }
        return specialists;
    }

    private static SpecialistDefinition Validate(
        SpecialistDefinition specialist, string baseDirectory, bool verifyFiles, IReadOnlyList<BaseModelDefinition> baseModels, List<SpecialistDefinition> accepted)
    {
        ValidateId(specialist.Id);
        if (accepted.Any(existing => existing.Id == specialist.Id)) throw new InvalidDataException("duplicates an earlier id");
        if (string.IsNullOrWhiteSpace(specialist.Description)) throw new InvalidDataException("description is required");
        if (specialist.Examples is null || specialist.Examples.Count == 0 || specialist.Examples.Any(string.IsNullOrWhiteSpace))
            throw new InvalidDataException("examples must list at least one non-empty routing utterance");
        var vocabulary = specialist.Vocabulary ?? [];
        if (vocabulary.Any(string.IsNullOrWhiteSpace)) throw new InvalidDataException("vocabulary must not contain empty terms");
        if (vocabulary.GroupBy(term => term.Trim(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(group => group.Count() > 1) is { } repeated)
            throw new InvalidDataException($"vocabulary lists '{repeated.Key}' more than once");
        var embeddingExamples = specialist.EmbeddingExamples ?? [];
        if (embeddingExamples.Any(string.IsNullOrWhiteSpace)) throw new InvalidDataException("embeddingExamples must not contain empty questions");
        if (embeddingExamples.Concat(specialist.Examples).GroupBy(text => text.Trim(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(group => group.Count() > 1) is { } repeatedExample)
            throw new InvalidDataException($"'{repeatedExample.Key}' is listed more than once in examples and embeddingExamples");
        if (baseModels.All(model => model.Id != specialist.BaseModel))
            throw new InvalidDataException($"baseModel '{specialist.BaseModel}' is not a usable base model of this catalog");
        if (specialist.Tenants is null || specialist.Tenants.Count == 0 || specialist.Tenants.Any(string.IsNullOrWhiteSpace))
            throw new InvalidDataException("tenants must name at least one tenant, or \"*\" for everyone");
        var generation = specialist.Generation ?? new GenerationDefaults();
        if (generation.MaxTokens is < 1 or > 4096) throw new InvalidDataException($"generation.maxTokens must be 1..4096, not {generation.MaxTokens}");
        if (!float.IsFinite(generation.Temperature) || generation.Temperature < 0) throw new InvalidDataException("generation.temperature must be ≥ 0");
        if (generation.TopK < 0) throw new InvalidDataException("generation.topK must be ≥ 0");
        if (!(generation.TopP is > 0 and <= 1)) throw new InvalidDataException("generation.topP must be in (0, 1]");
        if (specialist.RouteThreshold is { } threshold && !double.IsFinite(threshold)) throw new InvalidDataException("routeThreshold must be finite");
        var adapters = new List<AdapterDefinition>();
        foreach (var adapter in specialist.Adapters ?? [])
        {
            if (string.IsNullOrWhiteSpace(adapter.Path)) throw new InvalidDataException("an adapter has no path");
            if (!float.IsFinite(adapter.Weight)) throw new InvalidDataException($"adapter {adapter.Path} has a weight that is not a finite number");
            var path = Path.GetFullPath(adapter.Path, baseDirectory);
            // A PEFT folder, or a llama.cpp GGUF LoRA file (its contents are checked against the base when it loads).
            var isGgufFile = path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(path);
            if (verifyFiles && isGgufFile && !File.Exists(path))
                throw new InvalidDataException($"adapter file {path} does not exist");
            if (verifyFiles && !isGgufFile && !File.Exists(Path.Combine(path, "adapter_config.json")))
                throw new InvalidDataException($"adapter {path} has no adapter_config.json (nor is it a .gguf LoRA file)");
            adapters.Add(adapter with { Path = path });
        }
        return specialist with
        {
            Adapters = adapters,
            Generation = generation,
            Vocabulary = vocabulary,
            EmbeddingExamples = embeddingExamples,
        };
    }

    private static IEnumerable<(JsonElement Element, int Index)> Entries(JsonElement root, string name, List<CatalogProblem> problems)
    {
        if (!root.TryGetProperty(name, out var array)) yield break;
        if (array.ValueKind != JsonValueKind.Array)
        {
            problems.Add(new CatalogProblem(name, "must be an array"));
            yield break;
        }
        var index = 0;
        foreach (var element in array.EnumerateArray()) yield return (element, index++);
    }

    private static string EntryLabel(string array, JsonElement element, int index) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
            ? $"{array}[{index}] '{id.GetString()}'"
            : $"{array}[{index}]";

    private static void ValidateId(string? id)
    {
        if (id is null || !IdPattern().IsMatch(id))
            throw new InvalidDataException($"id '{id}' must be 1–64 lower-case letters, digits or '-', starting with a letter or digit");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();
}
