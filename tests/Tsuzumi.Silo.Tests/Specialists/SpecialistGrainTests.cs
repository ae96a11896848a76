using Tsuzumi.Contracts;

namespace Tsuzumi.Silo.Tests.Specialists;

[Collection(SpecialistClusterCollection.Name)]
public sealed class SpecialistGrainTests(SpecialistClusterFixture cluster)
{
    private ISpecialistGrain Specialist(string id) => cluster.Client.GetGrain<ISpecialistGrain>(id);

    [Fact]
    public async Task A_specialist_answers_with_confidence_token_counts_and_timings()
    {
        cluster.SkipIfUnavailable();

        var answer = await Specialist("alpha").AskAsync(Queries.Ask("Lily went to the park"));

        Assert.Equal("alpha", answer.SpecialistId);
        Assert.False(string.IsNullOrEmpty(answer.Text));
        Assert.InRange(answer.CompletionTokens, 1, 24);
        Assert.True(answer.PromptTokens > 1);
        Assert.True(answer.MeanLogProbability < 0 && double.IsFinite(answer.MeanLogProbability));
        Assert.Contains(answer.FinishReason, new[] { "length", "eos", "stop" });
        Assert.True(answer.LatencyMs >= answer.TimeToFirstTokenMs && answer.TimeToFirstTokenMs > 0);
    }

    [Fact]
    public async Task A_fan_outs_asks_arriving_apart_are_prefilled_together_and_decode_in_step()
    {
        cluster.SkipIfUnavailable();
        var before = await Specialist("gamma").GetEngineStatsAsync();

        // One query asked of three specialists of one base model, the asks reaching the silo 50 ms apart.
        var queryId = Guid.NewGuid();
        var asks = new List<Task<SpecialistAnswer>>();
        foreach (var id in new[] { "alpha", "beta", "gamma" })
        {
            asks.Add(Specialist(id).AskAsync(Queries.Ask("Tom had a red ball", maxTokens: 16) with { QueryId = queryId, AsksOnSameBaseModel = 3 }));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        var answers = await Task.WhenAll(asks);

        var after = await Specialist("alpha").GetEngineStatsAsync();
        Assert.Equal(3, after.Completed - before.Completed);
        // Each first token comes from the one joint prefill; the longest answer's other tokens take one step each.
        Assert.Equal(answers.Max(answer => answer.CompletionTokens) - 1, after.DecodeSteps - before.DecodeSteps);
    }

    [Fact]
    public async Task Concurrent_queries_to_three_specialists_are_decoded_in_shared_batches()
    {
        cluster.SkipIfUnavailable();
        var before = await Specialist("gamma").GetEngineStatsAsync();

        var questions = new[] { "Tom had a red ball", "The cat sat on the mat" };
        var asks = new[] { "alpha", "beta", "gamma" }
            .SelectMany(id => questions.Select(question => Specialist(id).AskAsync(Queries.Ask(question, maxTokens: 32))))
            .ToArray();
        var answers = await Task.WhenAll(asks);

        Assert.All(answers, answer => Assert.True(answer.CompletionTokens > 0));
        var after = await Specialist("alpha").GetEngineStatsAsync();
        Assert.Equal(cluster.HostingSilo.ToString(), after.SiloAddress);
        Assert.True(after.Completed - before.Completed >= asks.Length);
        // Rows per decode step while these six ran: above one means different specialists' rows shared forward passes.
        var steps = after.DecodeSteps - before.DecodeSteps;
        var rows = after.MeanBatchSize * after.DecodeSteps - before.MeanBatchSize * before.DecodeSteps;
        Assert.True(steps > 0 && rows / steps > 1.01, $"{rows:0} rows in {steps} decode steps: the queries were not batched together");
        Assert.True(after.LargestBatch > 1);
    }

    [Fact]
    public async Task Different_adapters_give_different_answers_to_the_same_question()
    {
        cluster.SkipIfUnavailable();
        var question = Queries.Ask("Sam found a shiny stone");

        var alpha = await Specialist("alpha").AskAsync(question);
        var beta = await Specialist("beta").AskAsync(question);
        var plain = await Specialist("gamma").AskAsync(question);

        Assert.NotEqual(alpha.Text, beta.Text);
        Assert.NotEqual(alpha.Text, plain.Text);
    }

    [Fact]
    public async Task A_broken_adapter_fails_only_its_own_specialist()
    {
        cluster.SkipIfUnavailable();

        var broken = Specialist("broken").AskAsync(Queries.Ask("Once there was a dog"));
        var healthy = Specialist("alpha").AskAsync(Queries.Ask("Once there was a dog"));

        var failure = await Assert.ThrowsAsync<SpecialistException>(() => broken);
        Assert.Equal(SpecialistFailureCodes.Unavailable, failure.Code);
        Assert.Contains("broken", failure.Message);
        Assert.True((await healthy).CompletionTokens > 0);
        // The silo serves on: the same specialist fails the same way, the others still answer.
        Assert.Equal(SpecialistFailureCodes.Unavailable, (await Assert.ThrowsAsync<SpecialistException>(() => Specialist("broken").AskAsync(Queries.Ask("again")))).Code);
        Assert.True((await Specialist("beta").AskAsync(Queries.Ask("again"))).CompletionTokens > 0);
    }

    [Fact]
    public async Task A_specialist_of_another_tenant_does_not_exist_for_the_caller()
    {
        cluster.SkipIfUnavailable();

        var outsider = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("acme-rules").AskAsync(Queries.Ask("Who approves expenses?", tenant: "public")));
        var member = await Specialist("acme-rules").AskAsync(Queries.Ask("Who approves expenses?", tenant: "acme"));
        var nobody = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("nobody").AskAsync(Queries.Ask("hello")));

        Assert.Equal(SpecialistFailureCodes.UnknownSpecialist, outsider.Code);
        Assert.DoesNotContain("acme", outsider.Message.Replace("acme-rules", ""), StringComparison.Ordinal);
        Assert.True(member.CompletionTokens > 0);
        Assert.Equal(SpecialistFailureCodes.UnknownSpecialist, nobody.Code);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_and_totals_as_asking()
    {
        cluster.SkipIfUnavailable();
        var question = Queries.Ask("The little boat sailed");

        var answer = await Specialist("beta").AskAsync(question);
        var pieces = new List<SpecialistChunk>();
        await foreach (var chunk in Specialist("beta").StreamAsync(question)) pieces.Add(chunk);

        Assert.True(pieces.Count > 2, "the answer came in one piece, not as a stream");
        var final = Assert.Single(pieces, piece => piece.Final is not null).Final!;
        Assert.Same(pieces[^1].Final, final);
        Assert.Equal(answer.Text, string.Concat(pieces.Select(piece => piece.Text)));
        Assert.Equal(answer.Text, final.Text);
        Assert.Equal(answer.CompletionTokens, final.CompletionTokens);
        Assert.Equal(answer.MeanLogProbability, final.MeanLogProbability, 6);
    }

    [Fact]
    public async Task A_streamed_failure_reaches_the_reader_as_a_specialist_exception()
    {
        cluster.SkipIfUnavailable();

        var failure = await Assert.ThrowsAsync<SpecialistException>(async () =>
        {
            await foreach (var _ in Specialist("broken").StreamAsync(Queries.Ask("hello"))) { }
        });

        Assert.Equal(SpecialistFailureCodes.Unavailable, failure.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_000)]
    public async Task An_absurd_max_tokens_is_refused_with_the_limit(int maxTokens)
    {
        cluster.SkipIfUnavailable();

        var failure = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("gamma").AskAsync(Queries.Ask("hello", maxTokens: maxTokens)));

        Assert.Equal(SpecialistFailureCodes.InvalidRequest, failure.Code);
        Assert.Contains("maxTokens must be 1..4096", failure.Message);
    }

    [Fact]
    public async Task A_conversation_that_does_not_end_with_the_user_is_refused()
    {
        cluster.SkipIfUnavailable();
        var query = new SpecialistQuery("public", [new SpecialistTurn("user", "hi"), new SpecialistTurn("assistant", "hello")]);

        var failure = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("gamma").AskAsync(query));

        Assert.Equal(SpecialistFailureCodes.InvalidRequest, failure.Code);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_window_is_prompt_too_long()
    {
        cluster.SkipIfUnavailable();
        var essay = string.Join(' ', Enumerable.Repeat("the dog ran to the big tree and", 400));

        var failure = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("gamma").AskAsync(Queries.Ask(essay)));

        Assert.Equal(SpecialistFailureCodes.PromptTooLong, failure.Code);
    }

    [Fact]
    public async Task A_deadline_already_past_is_deadline_exceeded()
    {
        cluster.SkipIfUnavailable();
        var query = Queries.Ask("hello") with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };

        var failure = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("gamma").AskAsync(query));

        Assert.Equal(SpecialistFailureCodes.DeadlineExceeded, failure.Code);
    }

    [Fact]
    public async Task Stats_count_requests_errors_tokens_and_latency()
    {
        cluster.SkipIfUnavailable();
        var specialist = Specialist("beta");
        var before = await specialist.GetStatsAsync();

        var answer = await specialist.AskAsync(Queries.Ask("A frog jumped"));
        await Assert.ThrowsAsync<SpecialistException>(() => specialist.AskAsync(Queries.Ask("x", maxTokens: -5)));
        var after = await specialist.GetStatsAsync();

        Assert.Equal(before.Requests + 2, after.Requests);
        Assert.Equal(before.Errors + 1, after.Errors);
        Assert.Equal(before.CompletionTokens + answer.CompletionTokens, after.CompletionTokens);
        Assert.Equal(before.PromptTokens + answer.PromptTokens, after.PromptTokens);
        Assert.True(after.LatencyP50Ms > 0 && after.LatencyP95Ms >= after.LatencyP50Ms);
    }

    [Fact]
    public async Task A_reader_that_stops_streaming_early_frees_the_engine_slot()
    {
        cluster.SkipIfUnavailable();
        var before = await Specialist("alpha").GetEngineStatsAsync();

        await foreach (var chunk in Specialist("alpha").StreamAsync(Queries.Ask("A very long tale", maxTokens: 400)))
        {
            if (chunk.Text.Length > 0) break;
        }

        await Queries.Eventually(async () => (await Specialist("alpha").GetEngineStatsAsync()).Cancelled > before.Cancelled, "the engine cancels the abandoned row");
        Assert.Equal(0, (await Specialist("alpha").GetEngineStatsAsync()).Running);
    }

    [Fact]
    public async Task Under_more_load_than_the_queue_holds_the_excess_is_refused_as_busy_and_nothing_hangs()
    {
        cluster.SkipIfUnavailable();
        var before = await Specialist("gamma").GetEngineStatsAsync();

        var asks = Enumerable.Range(0, 60).Select(index => Specialist(index % 2 == 0 ? "gamma" : "beta").AskAsync(Queries.Ask("Anna had a kite", maxTokens: 24))).ToArray();
        var outcomes = await Task.WhenAll(asks.Select(async ask =>
        {
            try
            {
                return (await ask).CompletionTokens > 0 ? "answered" : "empty";
            }
            catch (SpecialistException failure)
            {
                return failure.Code;
            }
        })).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

        Assert.All(outcomes, outcome => Assert.Contains(outcome, new[] { "answered", SpecialistFailureCodes.Busy }));
        Assert.Contains("answered", outcomes);
        Assert.Contains(SpecialistFailureCodes.Busy, outcomes);
        var after = await Specialist("gamma").GetEngineStatsAsync();
        Assert.Equal(outcomes.Count(outcome => outcome == SpecialistFailureCodes.Busy), after.Rejected - before.Rejected);
        // And the silo serves on once the burst is over.
        Assert.True((await Specialist("gamma").AskAsync(Queries.Ask("hello"))).CompletionTokens > 0);
    }

    [Fact]
    public async Task Requests_tokens_and_latency_are_published_on_the_Tsuzumi_Silo_meter()
    {
        cluster.SkipIfUnavailable();
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string Instrument, string? Specialist, double Value)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, meters) =>
        {
            if (instrument.Meter.Name == Tsuzumi.Silo.Specialists.SpecialistMetrics.MeterName) meters.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => seen.Add((instrument.Name, SpecialistTag(tags), value)));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => seen.Add((instrument.Name, SpecialistTag(tags), value)));
        listener.Start();

        var answer = await Specialist("beta").AskAsync(Queries.Ask("A bee buzzed"));

        Assert.Contains(seen, entry => entry is { Instrument: "tsuzumi.specialist.requests", Specialist: "beta", Value: 1 });
        Assert.Contains(seen, entry => entry.Instrument == "tsuzumi.specialist.tokens" && entry.Specialist == "beta" && entry.Value == answer.CompletionTokens);
        Assert.Contains(seen, entry => entry.Instrument == "tsuzumi.specialist.latency" && entry.Specialist == "beta" && entry.Value > 0);

        static string? SpecialistTag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags) if (tag.Key == "specialist") return tag.Value as string;
            return null;
        }
    }
}
