using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// Bounded load through the gateway with one silo SIGKILLed part-way: <see cref="Clients"/> clients each ask in a loop
/// (the four specialists by name in turn, and a routed question) until <see cref="Duration"/> is over; every request
/// carries a deadline and the HTTP client gives up at deadline + <see cref="HangMargin"/>, which counts as a hang.
/// </summary>
internal sealed class SiloKillDrill(HttpClient gateway, int clients, TimeSpan duration, TimeSpan killAt, int deadlineMs)
{
    /// <summary>How far past its deadline a request may end before it counts as hung.</summary>
    public static readonly TimeSpan HangMargin = TimeSpan.FromSeconds(5);

    public const string Routed = "(routed)";

    private static readonly string[] Targets = [.. ClusterCalls.Questions.Keys, Routed];

    public int Clients => clients;

    public TimeSpan Duration => duration;

    public async Task<DrillResult> RunAsync(Action kill, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var killedAt = -1.0;
        var killer = Task.Run(async () =>
        {
            await Task.Delay(killAt, cancellation);
            kill();
            killedAt = clock.Elapsed.TotalSeconds;
        }, cancellation);
        var runs = Enumerable.Range(0, clients).Select(client => Task.Run(() => ClientLoopAsync(client, clock, cancellation), cancellation));
        var requests = (await Task.WhenAll(runs)).SelectMany(list => list).OrderBy(request => request.StartS).ToArray();
        await killer;
        return new DrillResult(requests, killedAt, clock.Elapsed.TotalSeconds, deadlineMs);
    }

    private async Task<List<DrillRequest>> ClientLoopAsync(int client, Stopwatch clock, CancellationToken cancellation)
    {
        var done = new List<DrillRequest>();
        for (var turn = client; clock.Elapsed < duration; turn++)
        {
            var target = Targets[turn % Targets.Length];
            var specialist = target == Routed ? null : target;
            var query = specialist is null ? "How does compound interest work?" : ClusterCalls.Questions[specialist];
            var start = clock.Elapsed.TotalSeconds;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(TimeSpan.FromMilliseconds(deadlineMs) + HangMargin);
            try
            {
                var answer = await ClusterCalls.AskAsync(gateway, query, specialist, deadlineMs, limit.Token);
                done.Add(new DrillRequest(client, target, start, clock.Elapsed.TotalSeconds, answer.Status, answer.IsProblem, answer.Degraded,
                    specialist is null ? null : answer.StatusOf(specialist), Error: null));
            }
            catch (Exception error) when (error is HttpRequestException || (error is OperationCanceledException && !cancellation.IsCancellationRequested))
            {
                var hung = error is OperationCanceledException;
                done.Add(new DrillRequest(client, target, start, clock.Elapsed.TotalSeconds, 0, false, false, null,
                    hung ? $"no answer {deadlineMs + HangMargin.TotalMilliseconds:0} ms after sending (hung)" : $"{error.GetType().Name}: {error.Message}"));
            }
        }
        return done;
    }
}

/// <summary>One request of the drill: who sent what when, and how it ended.</summary>
internal sealed record DrillRequest(int Client, string Target, double StartS, double EndS, HttpStatusCode Status, bool IsProblem, bool Degraded,
    string? SpecialistStatus, string? Error)
{
    public double LatencyMs => (EndS - StartS) * 1000;

    /// <summary>A named specialist's own answer (200 with its contribution ok).</summary>
    public bool AnsweredBySpecialist => Status == HttpStatusCode.OK && SpecialistStatus == "ok";

    public string Outcome => Error is not null ? "no HTTP answer"
        : Status == HttpStatusCode.OK ? Degraded ? "200 degraded" : "200"
        : $"{(int)Status} {(IsProblem ? "problem+json" : "unexpected body")}";
}

/// <summary>Everything the drill saw, and the figures the report prints.</summary>
internal sealed record DrillResult(IReadOnlyList<DrillRequest> Requests, double KilledAtS, double EndedAtS, int DeadlineMs)
{
    /// <summary>Seconds from the kill to the first answer by <paramref name="specialist"/> asked after the kill; null if none came.</summary>
    public double? RecoveryS(string specialist) =>
        Requests.Where(request => request.Target == specialist && request.StartS > KilledAtS && request.AnsweredBySpecialist)
            .Select(request => (double?)(request.EndS - KilledAtS)).Min();

    public IReadOnlyDictionary<string, int> Outcomes =>
        Requests.GroupBy(request => request.Outcome).OrderBy(group => group.Key, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Count());

    public static double Percentile(IEnumerable<double> values, double quantile)
    {
        var sorted = values.OrderBy(value => value).ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public string Report(string victim, IReadOnlyList<string> victimSpecialists, int clients)
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        text.AppendLine(culture, $"Failure drill: {clients} clients for {EndedAtS:0.0} s through the gateway, deadline {DeadlineMs} ms per request; SIGKILL to {victim} at {KilledAtS:0.0} s (it hosted {string.Join(", ", victimSpecialists)}).");
        text.AppendLine(culture, $"requests: {Requests.Count}; outcomes: {string.Join(", ", Outcomes.Select(outcome => $"{outcome.Key} × {outcome.Value}"))}");
        text.AppendLine(culture, $"  answered (200) among the requests sent after the kill: {Requests.Count(request => request.StartS >= KilledAtS && request.Status == HttpStatusCode.OK)} of {Requests.Count(request => request.StartS >= KilledAtS)}");
        foreach (var specialist in victimSpecialists)
        {
            var recovery = RecoveryS(specialist);
            text.AppendLine(culture, $"  {specialist}: answered again {(recovery is { } seconds ? $"{seconds:0.0} s after the kill" : "not during the load")}");
        }
        var phases = new (string Name, Func<DrillRequest, bool> Filter)[]
        {
            ("all", _ => true),
            ("started before the kill", request => request.StartS < KilledAtS),
            ("started after the kill", request => request.StartS >= KilledAtS),
        };
        foreach (var (name, filter) in phases)
        {
            var latencies = Requests.Where(filter).Select(request => request.LatencyMs).ToArray();
            if (latencies.Length == 0) continue;
            text.AppendLine(culture, $"  latency ({name}, n={latencies.Length}): p50 {Percentile(latencies, 0.5):0} ms, p99 {Percentile(latencies, 0.99):0} ms, max {latencies.Max():0} ms");
        }
        return text.ToString();
    }
}
