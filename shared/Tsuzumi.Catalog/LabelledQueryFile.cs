using System.Text.Json;

namespace Tsuzumi.Catalog;

/// <summary>
/// Reads the catalog's labelled queries (<see cref="RoutingDefaults.LabelledQueries"/>): one JSON object per line,
/// <c>{"query": "…", "specialist": "…"}</c>, a question a user asked and the specialist that should answer it. A bad
/// line is left out with its file and line number; the rest are used, as with the catalog's own entries.
/// </summary>
internal static class LabelledQueryFile
{
    private sealed record LabelledQuery(string Query, string Specialist);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>The queries of each specialist of <paramref name="specialists"/>, and the file's bytes (for the catalog version).</summary>
    public static (Dictionary<string, List<string>> BySpecialist, byte[] Bytes) Read(
        string path, IReadOnlyList<SpecialistDefinition> specialists, List<CatalogProblem> problems)
    {
        var bySpecialist = specialists.ToDictionary(specialist => specialist.Id, _ => new List<string>());
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            problems.Add(new CatalogProblem("routing.labelledQueries", $"{path} cannot be read ({error.Message}); routing uses the catalog's examples alone"));
            return (bySpecialist, []);
        }

        // A query labelled twice keeps its first label; a second, different label is a contradiction and is reported.
        var labelOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var lines = new StreamReader(new MemoryStream(bytes), detectEncodingFromByteOrderMarks: true);
        var number = 0;
        while (lines.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var entry = $"{Path.GetFileName(path)}:{number}";
            try
            {
                var labelled = JsonSerializer.Deserialize<LabelledQuery>(line, Json) ?? throw new InvalidDataException("is null");
                var query = labelled.Query.Trim();
                if (query.Length == 0) throw new InvalidDataException("query is empty");
                if (!bySpecialist.TryGetValue(labelled.Specialist, out var queries))
                    throw new InvalidDataException($"specialist '{labelled.Specialist}' is not in the catalog");
                if (labelOf.TryGetValue(query, out var earlier))
                {
                    if (earlier != labelled.Specialist) throw new InvalidDataException($"'{query}' is already labelled '{earlier}'");
                    continue;
                }
                labelOf[query] = labelled.Specialist;
                queries.Add(query);
            }
            catch (Exception error) when (error is JsonException or InvalidDataException)
            {
                problems.Add(new CatalogProblem(entry, $"{error.Message}; line left out"));
            }
        }
        return (bySpecialist, bytes);
    }
}
