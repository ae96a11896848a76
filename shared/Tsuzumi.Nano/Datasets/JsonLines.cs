using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tsuzumi.Nano.Datasets;

/// <summary>Writes the dataset files: one compact JSON object per line, Japanese left readable (not \u-escaped), LF endings.</summary>
public static class JsonLines
{
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string Train(IEnumerable<TrainingPair> pairs) => Lines(pairs, (writer, pair) =>
    {
        writer.WriteString("id", pair.Id);
        writer.WriteString("prompt", pair.Prompt);
        writer.WriteString("completion", pair.Completion);
    });

    public static string HeldOut(IEnumerable<HeldOutQuestion> questions) => Lines(questions, (writer, question) =>
    {
        writer.WriteString("id", question.Id);
        writer.WriteString("prompt", question.Prompt);
        writer.WriteStartArray("keyFacts");
        foreach (var fact in question.KeyFacts) writer.WriteStringValue(fact);
        writer.WriteEndArray();
    });

    public static string MultipleChoice(IEnumerable<MultipleChoiceItem> items) => Lines(items, (writer, item) =>
    {
        writer.WriteString("id", item.Id);
        writer.WriteString("context", item.Context);
        writer.WriteStartArray("choices");
        foreach (var choice in item.Choices) writer.WriteStringValue(choice);
        writer.WriteEndArray();
        writer.WriteNumber("label", item.Label);
    });

    private static string Lines<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> writeFields)
    {
        var text = new StringBuilder();
        var buffer = new MemoryStream();
        foreach (var item in items)
        {
            buffer.SetLength(0);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                writeFields(writer, item);
                writer.WriteEndObject();
            }
            text.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
        }
        return text.ToString();
    }
}
