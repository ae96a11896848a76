using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tsuzumi.Router.Aggregation;

/// <summary>Reads an answer as a JSON object, tolerating the code fence a model may put around it.</summary>
public static class JsonAnswer
{
    public static bool TryParseObject(string? answer, [NotNullWhen(true)] out JsonObject? value)
    {
        value = null;
        if (answer is null) return false;
        var text = answer.Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            var firstLineEnd = text.IndexOf('\n');
            var fenceEnd = text.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLineEnd < 0 || fenceEnd <= firstLineEnd) return false;
            text = text[(firstLineEnd + 1)..fenceEnd].Trim();
        }
        if (!text.StartsWith('{') || !text.EndsWith('}')) return false;
        try
        {
            value = JsonNode.Parse(text) as JsonObject;
            return value is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
