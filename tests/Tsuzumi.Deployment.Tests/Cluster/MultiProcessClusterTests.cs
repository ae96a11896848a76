using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// The constellation as docker-compose runs it, but as processes on loopback (<see cref="LoopbackCluster"/>): answers
/// come from specialists in both silo processes, and a silo SIGKILLed under load costs some answers but no request
/// hangs, and its specialists come back on the survivor. Figures go to the test output; docs/operations.md keeps them.
/// </summary>
[Collection(LoopbackClusterCollection.Name)]
[TestCaseOrderer(typeof(DeclarationOrder))]
public sealed class MultiProcessClusterTests(LoopbackCluster cluster)
{
    private const int DeadlineMs = 8000;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static void Print(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

    [Fact]
    public async Task Queries_through_the_gateway_are_answered_by_specialists_running_in_both_silo_processes()
    {
        cluster.SkipIfUnavailable();
        Print($"cluster ready in {cluster.StartupTime.TotalSeconds:0.0} s (silos {string.Join(", ", cluster.Silos.Select(silo => $"{silo.Name} pid {silo.ProcessId}"))}, router pid {cluster.Router.ProcessId}, gateway pid {cluster.Gateway.ProcessId})");

        // One at a time, so the broker hands the asks to the two silos' consumers in turn; each activates its
        // specialist where it is consumed.
        foreach (var (specialist, question) in ClusterCalls.Questions)
        {
            var answer = await ClusterCalls.AskAsync(cluster.Client, question, specialist, 30_000, Cancellation);
            Assert.True(answer.Status == HttpStatusCode.OK, $"{specialist}: {answer}\n{cluster.Logs()}");
            Assert.False(answer.Degraded, answer.ToString());
            Assert.Equal("ok", answer.StatusOf(specialist));
            Assert.False(string.IsNullOrWhiteSpace(answer.Json!["answer"]?.GetValue<string>()), answer.ToString());
        }

        var routed = await ClusterCalls.AskAsync(cluster.Client, "How does compound interest work?", specialist: null, 30_000, Cancellation);
        Assert.True(routed.Status == HttpStatusCode.OK, routed.ToString());
        Assert.Contains(routed.Json!["contributions"]!.AsArray(), contribution => contribution!["status"]!.GetValue<string>() == "ok");

        // The OpenAI-compatible API: the constellation and one specialist over the bus, and a stream of tokens from the
        // grain through the router's Orleans client (Redis clustering).
        foreach (var model in new[] { "constellation", "general" })
        {
            var completion = await ChatAsync(model, "What is the capital of Japan?", stream: false);
            Assert.True(completion.Status == HttpStatusCode.OK, $"{model}: {completion}");
            Assert.False(string.IsNullOrWhiteSpace(JsonNode.Parse(completion.Body)!["choices"]![0]!["message"]!["content"]?.GetValue<string>()), completion.Body);
        }
        var streamed = await ChatAsync("medical", "What is high blood pressure?", stream: true);
        AssertCompleteStream(streamed);

        var placements = await Task.WhenAll(cluster.Silos.Select(silo => ClusterCalls.SpecialistsOnAsync(cluster.Direct, silo, Cancellation)));
        foreach (var silo in placements)
            Print($"{silo.Name} ({silo.SiloAddress}) hosts: {string.Join(", ", silo.Specialists.Select(specialist => $"{specialist.Key} ({specialist.Value} queries)"))}");
        Assert.All(placements, silo => Assert.True(silo.Specialists.Count > 0, $"{silo.Name} hosts no specialist: {string.Join("; ", placements.Select(p => $"{p.Name}: {string.Join(",", p.Specialists.Keys)}"))}"));
        Assert.Superset(ClusterCalls.Questions.Keys.ToHashSet(), placements.SelectMany(silo => silo.Specialists.Keys).ToHashSet());
        Assert.All(placements.SelectMany(silo => silo.Specialists.Values), served => Assert.True(served > 0));
    }

    [Fact]
    public async Task A_silo_killed_under_load_costs_some_answers_but_no_request_hangs_and_its_specialists_answer_again_from_the_survivor()
    {
        cluster.SkipIfUnavailable();
        // Every specialist active somewhere (the scenario above may have done it already), then the silo hosting more.
        foreach (var (specialist, question) in ClusterCalls.Questions)
            Assert.Equal(HttpStatusCode.OK, (await ClusterCalls.AskAsync(cluster.Client, question, specialist, 30_000, Cancellation)).Status);
        var placements = await Task.WhenAll(cluster.Silos.Select(silo => ClusterCalls.SpecialistsOnAsync(cluster.Direct, silo, Cancellation)));
        var victimIndex = placements[0].Specialists.Count >= placements[1].Specialists.Count ? 0 : 1;
        var victim = cluster.Silos[victimIndex];
        var survivor = cluster.Silos[1 - victimIndex];
        var victimSpecialists = placements[victimIndex].Specialists.Keys.Where(ClusterCalls.Questions.ContainsKey).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(victimSpecialists);

        var seconds = int.TryParse(Environment.GetEnvironmentVariable("TSUZUMI_CLUSTER_LOAD_SECONDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var configured) ? configured : 24;
        var drill = new SiloKillDrill(cluster.Client, clients: 8, TimeSpan.FromSeconds(seconds), killAt: TimeSpan.FromSeconds(seconds / 4.0), DeadlineMs);
        var killedAt = DateTime.MinValue;
        Task<DateTime?> declaredDead = Task.FromResult<DateTime?>(null);
        var result = await drill.RunAsync(() =>
        {
            victim.Kill();
            killedAt = DateTime.UtcNow;
            declaredDead = cluster.WaitUntilDeclaredDeadAsync(placements[victimIndex].SiloAddress, TimeSpan.FromSeconds(60), Cancellation);
        }, Cancellation);
        var report = result.Report(victim.Name, victimSpecialists, drill.Clients);
        Print(report);
        Print(await declaredDead is { } dead
            ? $"Orleans declared {victim.Name} dead {(dead - killedAt).TotalSeconds:0.0} s after the kill (membership table in Redis)"
            : $"Orleans did not mark {victim.Name} dead in the membership table within 60 s; last row: {cluster.LastMembershipRow}");
        Print($"process logs: {cluster.LogDirectory} (kept after the run when {LoopbackCluster.LogDirectoryVariable} names a folder)");

        Assert.True(result.KilledAtS > 0, "the silo was not killed");
        await Eventually(() => Task.FromResult(victim.HasExited), TimeSpan.FromSeconds(5), "the killed silo's process is gone");
        // Nothing hangs: every request got an HTTP answer within its deadline plus the margin...
        Assert.All(result.Requests, request => Assert.True(request.Error is null, $"{request}\n{report}"));
        Assert.All(result.Requests, request => Assert.True(request.LatencyMs <= DeadlineMs + SiloKillDrill.HangMargin.TotalMilliseconds, $"{request}\n{report}"));
        // ...and each is an answer (possibly degraded) or a clear 5xx problem: never a 4xx, never a bare error page.
        Assert.All(result.Requests, request => Assert.True(
            request.Status == HttpStatusCode.OK || ((int)request.Status >= 500 && request.IsProblem), $"{request}\n{report}"));

        // The dead silo's specialists answer again, from activations on the survivor; the router's token stream too.
        foreach (var specialist in victimSpecialists)
        {
            await Eventually(async () => (await ClusterCalls.AskAsync(cluster.Client, ClusterCalls.Questions[specialist], specialist, DeadlineMs, Cancellation)) is
                { Status: HttpStatusCode.OK } answer && answer.StatusOf(specialist) == "ok", TimeSpan.FromSeconds(60), $"{specialist} answers again after the kill");
        }
        var survivorHosts = await ClusterCalls.SpecialistsOnAsync(cluster.Direct, survivor, Cancellation);
        Print($"after the kill {survivor.Name} hosts: {string.Join(", ", survivorHosts.Specialists.Select(specialist => $"{specialist.Key} ({specialist.Value} queries)"))}");
        Assert.Superset(victimSpecialists.ToHashSet(), survivorHosts.Specialists.Keys.ToHashSet());
        AssertCompleteStream(await ChatAsync(victimSpecialists[0], ClusterCalls.Questions[victimSpecialists[0]], stream: true));
        Assert.Equal(HttpStatusCode.OK, (await cluster.Direct.GetAsync(new Uri(cluster.Gateway.BaseAddress, "health/ready"), Cancellation)).StatusCode);
    }

    private async Task<ClusterCalls.Answer> ChatAsync(string model, string question, bool stream)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }),
            ["max_tokens"] = ClusterCalls.MaxTokens,
            ["stream"] = stream,
        };
        using var response = await cluster.Client.PostAsJsonAsync("v1/chat/completions", body, Cancellation);
        return new ClusterCalls.Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(Cancellation));
    }

    private static void AssertCompleteStream(ClusterCalls.Answer streamed)
    {
        Assert.True(streamed.Status == HttpStatusCode.OK, streamed.ToString());
        Assert.Equal("text/event-stream", streamed.MediaType);
        var events = streamed.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1].Trim());
        Assert.Contains(events[..^1], data => JsonNode.Parse(data["data: ".Length..])!["choices"]![0]!["delta"]?["content"]?.GetValue<string>() is { Length: > 0 });
    }

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {timeout.TotalSeconds:0} s: {what}");
            await Task.Delay(250, Cancellation);
        }
    }
}
