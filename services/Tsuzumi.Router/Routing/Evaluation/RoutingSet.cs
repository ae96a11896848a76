using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tsuzumi.Router.Routing.Evaluation;

/// <summary>One labelled routing query: the specialists that should answer it for this tenant.</summary>
public sealed record RoutingSetItem(string Query, string Tenant, IReadOnlyList<string> Expected, string Kind, string Lang)
{
    public const string Single = "single";
    public const string Multi = "multi";
    public const string OutOfDomain = "out-of-domain";
}

/// <summary>A labelled set read from JSON lines: <c>{"query", "tenant", "expected": [ids], "kind", "lang"}</c>.</summary>
public sealed record RoutingSet(string Name, IReadOnlyList<RoutingSetItem> Items)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Reads a set; a malformed line throws <see cref="InvalidDataException"/> naming the file and line.</summary>
    public static RoutingSet Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"routing set {path} cannot be read: {error.Message}");
        }
        var items = new List<RoutingSetItem>();
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1];
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var item = JsonSerializer.Deserialize<RoutingSetItem>(line, Json) ?? throw new InvalidDataException("is null");
                if (string.IsNullOrWhiteSpace(item.Query) || string.IsNullOrWhiteSpace(item.Tenant)) throw new InvalidDataException("query and tenant are required");
                if (item.Expected.Count == 0) throw new InvalidDataException("expected must name at least one specialist");
                if (item.Kind is not (RoutingSetItem.Single or RoutingSetItem.Multi or RoutingSetItem.OutOfDomain))
                    throw new InvalidDataException($"kind '{item.Kind}' is not single, multi or out-of-domain");
                if (item.Lang is not ("en" or "ja")) throw new InvalidDataException($"lang '{item.Lang}' is not en or ja");
                items.Add(item);
            }
            catch (Exception error) when (error is JsonException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}:{number}: {error.Message}");
            }
        }
        if (items.Count == 0) throw new InvalidDataException($"routing set {path} has no queries");
        return new RoutingSet(Path.GetFileNameWithoutExtension(path), items);
    }

    /// <summary>A query as repeats are compared: NFKC, lower case, letters and digits only ("What is NISA?" = "what is ＮＩＳＡ").</summary>
    public static string Comparable(string query) =>
        string.Concat(query.Normalize(System.Text.NormalizationForm.FormKC).ToLowerInvariant().Where(char.IsLetterOrDigit));
}
