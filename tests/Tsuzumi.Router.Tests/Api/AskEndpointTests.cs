using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Tests.FanOut;
using Xunit;

namespace Tsuzumi.Router.Tests.Api;

public sealed class AskEndpointTests(RouterHostFixture fixture) : IClassFixture<RouterHostFixture>
{
    [Fact]
    public async Task A_question_goes_to_the_specialist_that_fits_and_the_answer_says_who_said_it()
    {
        using var client = fixture.Host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "what is a dividend and interest rates" });

        Assert.Equal("finance on: what is a dividend and interest rates", (string?)answer["answer"]);
        Assert.Equal("best", (string?)answer["strategy"]);
        Assert.False((bool)answer["degraded"]!);
        var contribution = Assert.Single(answer["contributions"]!.AsArray())!;
        Assert.Equal("finance", (string?)contribution["specialist"]);
        Assert.Equal("ok", (string?)contribution["status"]);
        Assert.True((double)contribution["routeScore"]! >= 0.3);
        Assert.Equal(Math.Exp(-0.4), (double)contribution["confidence"]!, 6);
        Assert.True((int)contribution["tokens"]! > 0);
        Assert.True(Guid.TryParse((string?)answer["queryId"], out _));
        Assert.Equal((int)answer["usage"]!["promptTokens"]! + (int)answer["usage"]!["completionTokens"]!, (int)answer["usage"]!["totalTokens"]!);
    }

    [Fact]
    public async Task A_question_for_two_specialists_is_answered_by_both_in_attributed_sections()
    {
        using var client = fixture.Host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "what is a dividend when I have a fever" });

        Assert.Equal("merge", (string?)answer["strategy"]);
        Assert.Equal(["finance", "medical"], Http.Ids(answer["contributions"], "specialist").Order());
        Assert.Contains("## finance\nfinance on:", (string?)answer["answer"]);
        Assert.Contains("## medical\nmedical on:", (string?)answer["answer"]);
    }

    [Fact]
    public async Task Named_specialists_bypass_routing_and_the_strategy_can_be_chosen()
    {
        using var client = fixture.Host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "hello there", specialists = new[] { "medical", "finance" }, strategy = "best" });

        Assert.Equal(["medical", "finance"], Http.Ids(answer["contributions"], "specialist"));
        Assert.All(answer["contributions"]!.AsArray(), c => Assert.Null(c!["routeScore"]));
        Assert.Equal("best", (string?)answer["strategy"]);
        Assert.Equal("finance on: hello there", (string?)answer["answer"]);
    }

    [Fact]
    public async Task A_question_no_specialist_fits_goes_to_the_fallback()
    {
        using var client = fixture.Host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "zebras" });

        Assert.Equal("general on: zebras", (string?)answer["answer"]);
    }

    [Fact]
    public async Task Route_lists_the_candidates_with_scores_and_the_chosen()
    {
        using var client = fixture.Host.CreateClient();

        var route = await client.PostOkAsync("v1/route", new { query = "what is a dividend when I have a fever" });

        Assert.Equal(["finance", "medical"], route["chosen"]!.AsArray().Select(id => (string)id!).Order());
        var scores = route["candidates"]!.AsArray().Select(c => (double)c!["score"]!).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.False((bool)route["fellBack"]!);
    }

    [Fact]
    public async Task Generation_overrides_and_the_deadline_reach_the_specialists()
    {
        using var client = fixture.Host.CreateClient();
        var before = DateTimeOffset.UtcNow;

        await client.PostOkAsync("v1/ask", new { query = "override check", specialists = new[] { "general" }, maxTokens = 7, temperature = 0.5, topK = 3, deadlineMs = 4000 });

        var question = fixture.Specialists.Received.Last(q => q.Conversation[^1].Content == "override check");
        Assert.Equal(7, question.MaxTokens);
        Assert.Equal(0.5f, question.Temperature);
        Assert.Equal(3, question.TopK);
        Assert.InRange(question.Deadline, before.AddSeconds(3), DateTimeOffset.UtcNow.AddSeconds(4.5));
    }

    [Fact]
    public async Task Asks_of_one_query_tell_the_silo_how_many_go_to_their_base_model()
    {
        using var client = fixture.Host.CreateClient();

        await client.PostOkAsync("v1/ask", new { query = "sibling count check", specialists = new[] { "finance", "medical" } });
        await client.PostOkAsync("v1/ask", new { query = "lone ask check", specialists = new[] { "general" } });

        // All of the test catalog's specialists share one base model: the silo's engine prefills the two asks together.
        var fannedOut = fixture.Specialists.Received.Where(q => q.Conversation[^1].Content == "sibling count check").ToArray();
        Assert.Equal(2, fannedOut.Length);
        Assert.All(fannedOut, question => Assert.Equal(2, question.AsksOnSameBaseModel));
        Assert.Single(fannedOut.Select(question => question.QueryId).Distinct());
        Assert.Equal(1, fixture.Specialists.Received.Last(q => q.Conversation[^1].Content == "lone ask check").AsksOnSameBaseModel);
    }

    [Fact]
    public async Task Json_answers_from_several_specialists_are_voted_on_by_default()
    {
        var specialists = new ScriptedSpecialists()
            .Play("finance", SpecialistScript.Answers("""{"company":"NTT","year":2025}"""))
            .Play("medical", SpecialistScript.Answers("""{"company":"NTT","year":2024}"""))
            .Play("general", SpecialistScript.Answers("""{"company":"KDDI","year":2025}"""));
        await using var host = await RouterTestHost.StartAsync(specialists);
        using var client = host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "extract", specialists = new[] { "finance", "medical", "general" } });

        Assert.Equal("vote", (string?)answer["strategy"]);
        var fields = JsonNode.Parse((string)answer["answer"]!)!;
        Assert.Equal("NTT", (string?)fields["company"]);
        Assert.Equal(2025, (int)fields["year"]!);
    }

    [Fact]
    public async Task A_late_and_a_failed_specialist_degrade_the_answer_and_are_reported()
    {
        var specialists = ScriptedSpecialists.AllAnswering()
            .Play("medical", SpecialistScript.Late(TimeSpan.FromSeconds(30)))
            .Play("general", SpecialistScript.Fails(SpecialistFailureCodes.PromptTooLong));
        await using var host = await RouterTestHost.StartAsync(specialists);
        using var client = host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "q", specialists = new[] { "finance", "medical", "general" }, deadlineMs = 1500 });

        Assert.True((bool)answer["degraded"]!);
        Assert.Equal("finance on: q", (string?)answer["answer"]);
        var statuses = answer["contributions"]!.AsArray().ToDictionary(c => (string)c!["specialist"]!, c => ((string)c!["status"]!, (string?)c["code"]));
        Assert.Equal(("ok", null), statuses["finance"]);
        Assert.Equal(("timeout", SpecialistFailureCodes.DeadlineExceeded), statuses["medical"]);
        Assert.Equal(("failed", SpecialistFailureCodes.PromptTooLong), statuses["general"]);
    }

    [Fact]
    public async Task Nobody_answering_is_a_problem_that_still_carries_the_evidence()
    {
        var specialists = new ScriptedSpecialists()
            .Play("finance", SpecialistScript.Fails(SpecialistFailureCodes.Busy))
            .Play("medical", SpecialistScript.Late(TimeSpan.FromSeconds(30)))
            .Play("general", SpecialistScript.Late(TimeSpan.FromSeconds(30)));
        await using var host = await RouterTestHost.StartAsync(specialists);
        using var client = host.CreateClient();

        var refused = await client.PostProblemAsync("v1/ask", new { query = "q", specialists = new[] { "finance", "medical" }, deadlineMs = 1000 }, HttpStatusCode.ServiceUnavailable);
        var late = await client.PostProblemAsync("v1/ask", new { query = "q", specialists = new[] { "medical", "general" }, deadlineMs = 1000 }, HttpStatusCode.GatewayTimeout);

        Assert.Equal(["failed", "timeout"], Http.Ids(refused["contributions"], "status"));
        Assert.Contains("busy", (string?)refused["detail"]);
        Assert.Equal(["timeout", "timeout"], Http.Ids(late["contributions"], "status"));
        Assert.NotNull(late["queryId"]);
    }

    [Fact]
    public async Task A_client_that_goes_away_ends_the_request_long_before_the_deadline()
    {
        var specialists = new ScriptedSpecialists().Play("finance", SpecialistScript.Late(TimeSpan.FromSeconds(60)));
        await using var host = await RouterTestHost.StartAsync(specialists);
        using var activeRequests = new ActiveRequests(host.Services.GetRequiredService<IMeterFactory>());
        using var client = host.CreateClient();
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var ask = client.PostAsJsonAsync("v1/ask", new { query = "q", specialists = new[] { "finance" }, deadlineMs = 20_000 }, leave.Token);
        await activeRequests.WaitUntilAsync(count => count == 1, TimeSpan.FromSeconds(10));
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask);

        // The server side stops too: no request is left waiting for the 20 s deadline.
        await activeRequests.WaitUntilAsync(count => count == 0, TimeSpan.FromSeconds(5));
    }

    /// <summary>ASP.NET Core's own http.server.active_requests for one host, read through a MeterListener.</summary>
    private sealed class ActiveRequests : IDisposable
    {
        private readonly MeterListener listener = new();
        private long count;

        public ActiveRequests(IMeterFactory hostMeters)
        {
            listener.InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Name == "http.server.active_requests" && instrument.Meter.Scope == hostMeters)
                    meterListener.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((_, delta, _, _) => Interlocked.Add(ref count, delta));
            listener.Start();
        }

        public async Task WaitUntilAsync(Func<long, bool> condition, TimeSpan within)
        {
            var started = Stopwatch.GetTimestamp();
            while (!condition(Interlocked.Read(ref count)))
            {
                Assert.True(Stopwatch.GetElapsedTime(started) < within, $"active requests stayed at {Interlocked.Read(ref count)} for {within.TotalSeconds} s");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        public void Dispose() => listener.Dispose();
    }
}
