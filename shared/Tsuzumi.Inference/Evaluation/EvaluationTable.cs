using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>Results of a run: one row per contestant, one column per (task, metric).</summary>
public sealed class EvaluationTable(IReadOnlyList<ContestantResult> rows)
{
    public IReadOnlyList<ContestantResult> Rows { get; } = rows;

    /// <summary>The (task, metric) columns in first-seen order.</summary>
    public IReadOnlyList<(string Task, string Metric)> Columns =>
        Rows.SelectMany(row => row.Tasks.SelectMany(task => task.Metrics.Select(metric => (task.TaskName, metric.Name)))).Distinct().ToArray();

    /// <summary>An aligned text table; each cell is "value ± stderr", and the header carries each task's question count.</summary>
    public string ToText()
    {
        var columns = Columns;
        var header = new List<string> { "contestant" };
        header.AddRange(columns.Select(column => $"{column.Task} {column.Metric} (n={Count(column.Task)})"));
        var lines = new List<List<string>> { header };
        foreach (var row in Rows)
        {
            var cells = new List<string> { row.Contestant.Name };
            foreach (var (task, metric) in columns)
            {
                var value = row.Tasks.FirstOrDefault(result => result.TaskName == task)?.Metrics.FirstOrDefault(candidate => candidate.Name == metric);
                cells.Add(value is null ? "—" : Cell(value));
            }
            lines.Add(cells);
        }
        var widths = Enumerable.Range(0, header.Count).Select(index => lines.Max(line => line[index].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.AppendLine(string.Join("  ", line.Select((cell, index) => index == 0 ? cell.PadRight(widths[index]) : cell.PadLeft(widths[index]))).TrimEnd());
        }
        return text.ToString();
    }

    /// <summary>Machine-readable results; NaN (a standard error over fewer than two questions) is written as null.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("contestants");
            foreach (var row in Rows)
            {
                json.WriteStartObject();
                json.WriteString("name", row.Contestant.Name);
                json.WriteString("model", row.Contestant.ModelPath);
                json.WriteStartArray("adapters");
                foreach (var adapter in row.Contestant.Adapters)
                {
                    json.WriteStartObject();
                    json.WriteString("path", adapter.Directory);
                    json.WriteNumber("weight", adapter.Weight);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteStartObject("tasks");
                foreach (var task in row.Tasks)
                {
                    json.WriteStartObject(task.TaskName);
                    json.WriteNumber("n", task.QuestionCount);
                    json.WriteNumber("seconds", Math.Round(task.Elapsed.TotalSeconds, 3));
                    foreach (var metric in task.Metrics)
                    {
                        Number(json, metric.Name, metric.Value);
                        Number(json, metric.Name + "_stderr", metric.StandardError);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Every generated answer, one JSON object per line (<c>contestant, task, id, hit, answer</c>), so a key-fact score
    /// can be read question by question: what did a specialist say where it missed?
    /// </summary>
    public string ToAnswersJsonLines()
    {
        var text = new StringBuilder();
        using var buffer = new MemoryStream();
        foreach (var row in Rows)
        {
            foreach (var task in row.Tasks.OfType<GenerativeQaResult>())
            {
                foreach (var outcome in task.Outcomes)
                {
                    buffer.SetLength(0);
                    using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                    {
                        json.WriteStartObject();
                        json.WriteString("contestant", row.Contestant.Name);
                        json.WriteString("task", task.TaskName);
                        json.WriteString("id", outcome.Id);
                        json.WriteBoolean("hit", outcome.IsHit);
                        json.WriteString("answer", outcome.Answer);
                        json.WriteEndObject();
                    }
                    text.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private int Count(string task) => Rows.SelectMany(row => row.Tasks).FirstOrDefault(result => result.TaskName == task)?.QuestionCount ?? 0;

    private static string Cell(MetricValue value) =>
        double.IsNaN(value.StandardError)
            ? value.Value.ToString("F4", CultureInfo.InvariantCulture)
            : $"{value.Value.ToString("F4", CultureInfo.InvariantCulture)} ± {value.StandardError.ToString("F4", CultureInfo.InvariantCulture)}";

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }
}
