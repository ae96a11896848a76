using System.Diagnostics.Metrics;

namespace Tsuzumi.Inference.Serving;

/// <summary>
/// The engine's counts, kept for <see cref="GenerationEngine.Statistics"/> and published as instruments of the meter
/// <see cref="GenerationEngine.MeterName"/> (OpenTelemetry picks them up with <c>AddMeter</c>).
/// </summary>
internal sealed class EngineMetrics : IDisposable
{
    private readonly Meter meter;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> timeToFirstToken;
    private readonly Counter<long> decodedTokens;
    private readonly Counter<long> prefilledTokens;
    private readonly Counter<long> requests;
    private readonly KeyValuePair<string, object?> modelTag;
    private long decodeSteps;
    private long decodedTotal;
    private long prefilledTotal;
    private long batchRowsTotal;
    private int largestBatch;
    private long completed;
    private long failed;
    private long cancelled;
    private long rejected;

    public EngineMetrics(string model, Func<int> running, Func<int> waiting)
    {
        modelTag = new("tsuzumi.model", model);
        meter = new Meter(GenerationEngine.MeterName);
        batchSize = meter.CreateHistogram<int>("tsuzumi.engine.batch.size", "{row}", "Rows decoded together in one step");
        timeToFirstToken = meter.CreateHistogram<double>("tsuzumi.engine.time_to_first_token", "s", "From submission (queueing included) to the first token");
        decodedTokens = meter.CreateCounter<long>("tsuzumi.engine.tokens.generated", "{token}", "Tokens generated");
        prefilledTokens = meter.CreateCounter<long>("tsuzumi.engine.tokens.prefilled", "{token}", "Prompt tokens run through the model");
        requests = meter.CreateCounter<long>("tsuzumi.engine.requests", "{request}", "Requests ended, by outcome (completed, failed, cancelled, rejected)");
        meter.CreateObservableGauge("tsuzumi.engine.running", () => new Measurement<int>(running(), modelTag), "{request}", "Rows in the running batch");
        meter.CreateObservableGauge("tsuzumi.engine.waiting", () => new Measurement<int>(waiting(), modelTag), "{request}", "Requests waiting for a batch slot");
    }

    public void DecodeStep(int rows)
    {
        Interlocked.Increment(ref decodeSteps);
        Interlocked.Add(ref batchRowsTotal, rows);
        if (rows > Volatile.Read(ref largestBatch)) Volatile.Write(ref largestBatch, rows); // only the engine thread writes
        batchSize.Record(rows, modelTag);
    }

    public void Generated(int tokens)
    {
        Interlocked.Add(ref decodedTotal, tokens);
        decodedTokens.Add(tokens, modelTag);
    }

    public void Prefilled(int tokens)
    {
        Interlocked.Add(ref prefilledTotal, tokens);
        prefilledTokens.Add(tokens, modelTag);
    }

    public void FirstToken(TimeSpan sinceSubmission) => timeToFirstToken.Record(sinceSubmission.TotalSeconds, modelTag);

    public void Completed() => Ended(ref completed, "completed");

    public void Failed() => Ended(ref failed, "failed");

    public void Cancelled() => Ended(ref cancelled, "cancelled");

    public void Rejected() => Ended(ref rejected, "rejected");

    public EngineStatistics Snapshot(int running, int waiting)
    {
        var steps = Interlocked.Read(ref decodeSteps);
        var rows = Interlocked.Read(ref batchRowsTotal);
        return new EngineStatistics(steps, Interlocked.Read(ref decodedTotal), Interlocked.Read(ref prefilledTotal), Volatile.Read(ref largestBatch),
            steps == 0 ? 0 : (double)rows / steps, running, waiting, Interlocked.Read(ref completed), Interlocked.Read(ref failed),
            Interlocked.Read(ref cancelled), Interlocked.Read(ref rejected));
    }

    private void Ended(ref long count, string outcome)
    {
        Interlocked.Increment(ref count);
        requests.Add(1, modelTag, new("outcome", outcome));
    }

    public void Dispose() => meter.Dispose();
}
