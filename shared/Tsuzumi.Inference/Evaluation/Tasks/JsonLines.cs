using System.Text.Json;

namespace Tsuzumi.Inference.Evaluation.Tasks;

/// <summary>Reads JSON-lines task files: one object per non-blank line, every failure named by file and line.</summary>
internal static class JsonLines
{
    /// <summary>Each non-blank line parsed as a JSON object, with its 1-based line number.</summary>
    public static IEnumerable<(int Line, JsonElement Item)> Read(string path)
    {
        if (!File.Exists(path)) throw new EvaluationDataException(path, null, "file not found");
        var number = 0;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonElement element;
            try
            {
                using var document = JsonDocument.Parse(text);
                element = document.RootElement.Clone();
            }
            catch (JsonException error)
            {
                throw new EvaluationDataException(path, number, $"not valid JSON ({error.Message})", error);
            }
            if (element.ValueKind != JsonValueKind.Object)
                throw new EvaluationDataException(path, number, $"expected a JSON object, found {element.ValueKind}");
            yield return (number, element);
        }
    }

    public static string RequiredString(JsonElement item, string key, string path, int line) =>
        item.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new EvaluationDataException(path, line, $"'{key}' must be a string");

    public static int RequiredInt(JsonElement item, string key, string path, int line) =>
        item.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new EvaluationDataException(path, line, $"'{key}' must be an integer");

    public static IReadOnlyList<string> RequiredStrings(JsonElement item, string key, string path, int line)
    {
        if (!item.TryGetProperty(key, out var value) || value.ValueKind != JsonValueKind.Array)
            throw new EvaluationDataException(path, line, $"'{key}' must be an array of strings");
        var strings = new List<string>();
        foreach (var entry in value.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.String)
                throw new EvaluationDataException(path, line, $"'{key}' must hold only strings, found {entry.ValueKind}");
            strings.Add(entry.GetString()!);
        }
        return strings;
    }

    /// <summary>An id as text whether the file stores it as a string or a number; <paramref name="fallback"/> when absent.</summary>
    public static string IdOrDefault(JsonElement item, string key, string fallback) =>
        item.TryGetProperty(key, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => fallback,
        } : fallback;
}
