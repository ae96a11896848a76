using System.Diagnostics.Metrics;

namespace Tsuzumi.Silo.Specialists;

/// <summary>OpenTelemetry instruments of meter <c>Tsuzumi.Silo</c>, tagged by specialist (and failure code).</summary>
public sealed class SpecialistMetrics
{
    public const string MeterName = "Tsuzumi.Silo";

    private readonly Counter<long> requests;
    private readonly Counter<long> errors;
    private readonly Counter<long> tokens;
    private readonly Histogram<double> latency;

    public SpecialistMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        requests = meter.CreateCounter<long>("tsuzumi.specialist.requests", description: "Queries a specialist received");
        errors = meter.CreateCounter<long>("tsuzumi.specialist.errors", description: "Queries a specialist could not answer, by failure code");
        tokens = meter.CreateCounter<long>("tsuzumi.specialist.tokens", unit: "{token}", description: "Prompt and completion tokens");
        latency = meter.CreateHistogram<double>("tsuzumi.specialist.latency", unit: "ms", description: "Time from query to the whole answer");
    }

    public void Received(string specialist) => requests.Add(1, new KeyValuePair<string, object?>("specialist", specialist));

    public void Answered(string specialist, int promptTokens, int completionTokens, double milliseconds)
    {
        var tag = new KeyValuePair<string, object?>("specialist", specialist);
        tokens.Add(promptTokens, tag, new KeyValuePair<string, object?>("kind", "prompt"));
        tokens.Add(completionTokens, tag, new KeyValuePair<string, object?>("kind", "completion"));
        latency.Record(milliseconds, tag);
    }

    public void Failed(string specialist, string code) =>
        errors.Add(1, new KeyValuePair<string, object?>("specialist", specialist), new KeyValuePair<string, object?>("code", code));
}
