using System.Diagnostics;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Serving;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Serving;

public sealed class GenerationEngineTests(ServingScenario scenario) : IClassFixture<ServingScenario>
{
    private static CancellationToken TestCancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrent_requests_over_mixed_adapters_each_equal_their_generation_alone()
    {
        // 8 greedy requests over 4 adapter sets (none, one, the other, a 0.7/0.3 blend), two of them also sampled
        // with their own seeds: each row keeps its own adapters, cache and sampler inside the shared batch.
        var requests = ServingScenario.Prompts.Select((prompt, index) => scenario.Request(prompt, maxTokens: 24,
            ServingScenario.AdapterSets[index % 4], fairnessKey: $"specialist-{index % 4}",
            sampling: index >= 6 ? new SamplingOptions { Temperature = 0.9f, Seed = index } : null)).ToArray();
        var expected = requests.Select(scenario.Alone).ToArray();

        await using var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 8 });
        var results = await Task.WhenAll(requests.Select(request => engine.GenerateAsync(request, cancellation: TestCancellation)));

        for (var index = 0; index < requests.Length; index++) ServingScenario.AssertSameGeneration(expected[index], results[index]);
        var statistics = engine.Statistics;
        Assert.True(statistics.LargestBatch > 1, $"largest batch {statistics.LargestBatch}");
        Assert.Equal(8, statistics.Completed);
        Assert.Equal(results.Sum(result => result.Tokens.Count), statistics.DecodedTokens);
        Assert.Equal(requests.Sum(request => request.Generation.PromptTokens.Count), statistics.PrefilledTokens);
        Assert.All(results, result => Assert.True(result.PrefillTime > TimeSpan.Zero));
        Assert.Equal(0, scenario.Leases);
    }

    [Fact]
    public async Task A_prompt_longer_than_one_chunk_is_prefilled_in_chunks_and_generates_the_same_tokens()
    {
        var request = scenario.Request(string.Join(' ', ServingScenario.Prompts), maxTokens: 16, ServingScenario.AdapterSets[3]);
        Assert.True(request.Generation.PromptTokens.Count > 3 * 8);
        var expected = scenario.Alone(request);

        await using var engine = scenario.Engine(new EngineOptions { PrefillChunkTokens = 8 });
        var result = await engine.GenerateAsync(request, cancellation: TestCancellation);

        ServingScenario.AssertSameGeneration(expected, result);
        Assert.Equal(request.Generation.PromptTokens.Count, engine.Statistics.PrefilledTokens);
    }

    [Fact]
    public async Task Joining_rows_with_prompts_of_equal_length_prefill_together_and_keep_their_own_adapters()
    {
        // One prompt, four adapter sets: the four joining rows share one prefill forward within the 64-token budget.
        var requests = ServingScenario.AdapterSets.Select(adapters => scenario.Request("Once upon a time", maxTokens: 16, adapters)).ToArray();
        var expected = requests.Select(scenario.Alone).ToArray();
        Assert.Equal(4, expected.Select(result => string.Join(',', result.Tokens.Select(token => token.Id))).Distinct().Count());

        await using var engine = scenario.Engine();
        var results = await Task.WhenAll(requests.Select(request => engine.GenerateAsync(request, cancellation: TestCancellation)));

        for (var index = 0; index < requests.Length; index++) ServingScenario.AssertSameGeneration(expected[index], results[index]);
    }

    [Fact]
    public async Task Three_concurrent_requests_with_different_adapters_share_their_decode_steps()
    {
        // A fan-out to three specialists of one base model: two adapters and the base model. The second and third
        // arrive while the first is in its first step (its first token holds the engine thread until they are queued),
        // so the timing of the test thread cannot decide how many steps they share.
        var requests = ServingScenario.AdapterSets.Take(3).Select((adapters, index) =>
            scenario.Request("Once upon a time", maxTokens: 16, adapters, fairnessKey: $"specialist-{index}", stopAtEndOfGeneration: false)).ToArray();
        var expected = requests.Select(scenario.Alone).ToArray();
        var firstToken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var othersQueued = new ManualResetEventSlim();
        var tokens = 0;

        await using var engine = scenario.Engine();
        var first = engine.GenerateAsync(requests[0], token =>
        {
            if (Interlocked.Increment(ref tokens) != 1) return;
            firstToken.TrySetResult();
            othersQueued.Wait(TestCancellation);
        }, TestCancellation);
        await firstToken.Task.WaitAsync(TestCancellation);
        var others = requests.Skip(1).Select(request => engine.GenerateAsync(request, cancellation: TestCancellation)).ToArray();
        othersQueued.Set();
        var results = await Task.WhenAll([first, .. others]);

        for (var index = 0; index < requests.Length; index++) ServingScenario.AssertSameGeneration(expected[index], results[index]);
        var statistics = engine.Statistics;
        Assert.Equal(48, statistics.DecodedTokens);
        Assert.Equal(3, statistics.LargestBatch);
        // Each first token comes from prefill. The first request decodes its other 15 in steps 1–15, the two others
        // (prefilled together in step 2) theirs in steps 2–16: 16 steps in all, where one after another would take 45.
        Assert.Equal(16, statistics.DecodeSteps);
    }

    [Fact]
    public async Task A_fan_outs_asks_arriving_apart_wait_for_each_other_and_prefill_in_one_forward()
    {
        // One query asked of three specialists of this model: the asks reach the engine one by one. An idle engine
        // holds the early ones until the group is complete, so all three prefill together and share every decode step.
        var group = new PrefillGroup("query-1", 3);
        var requests = ServingScenario.AdapterSets.Take(3).Select((adapters, index) =>
            scenario.Request("Once upon a time", maxTokens: 16, adapters, fairnessKey: $"specialist-{index}", stopAtEndOfGeneration: false) with { Group = group }).ToArray();
        var expected = requests.Select(scenario.Alone).ToArray();

        await using var engine = scenario.Engine(new EngineOptions { GroupWait = TimeSpan.FromMinutes(1) });
        var generations = new List<Task<GenerationResult>>();
        foreach (var request in requests)
        {
            generations.Add(engine.GenerateAsync(request, cancellation: TestCancellation));
            await Task.Delay(50, TestCancellation); // far apart: without the group the first would be decoding by now
        }
        var results = await Task.WhenAll(generations);

        for (var index = 0; index < requests.Length; index++) ServingScenario.AssertSameGeneration(expected[index], results[index]);
        var statistics = engine.Statistics;
        Assert.Equal(3, statistics.LargestBatch);
        Assert.Equal(15, statistics.DecodeSteps); // the first token of each comes from the one joint prefill
    }

    [Fact]
    public async Task A_fan_outs_prompts_prefill_together_even_past_the_chunk_budget()
    {
        // Prompts longer than half the chunk budget: without the group, each would take a prefill forward of its own.
        const int chunk = 4;
        var group = new PrefillGroup("query-long", 3);
        var requests = ServingScenario.AdapterSets.Take(3).Select((adapters, index) =>
            scenario.Request("Once upon a time", maxTokens: 16, adapters, fairnessKey: $"specialist-{index}", stopAtEndOfGeneration: false) with { Group = group }).ToArray();
        Assert.True(requests[0].Generation.PromptTokens.Count > chunk / 2, "the prompt must not fit twice into one chunk");
        var expected = requests.Select(scenario.Alone).ToArray();

        await using var engine = scenario.Engine(new EngineOptions { GroupWait = TimeSpan.FromMinutes(1), PrefillChunkTokens = chunk });
        var results = await Task.WhenAll(requests.Select(request => engine.GenerateAsync(request, cancellation: TestCancellation)));

        for (var index = 0; index < requests.Length; index++) ServingScenario.AssertSameGeneration(expected[index], results[index]);
        Assert.Equal(15, engine.Statistics.DecodeSteps); // one joint prefill per chunk, then every step carries all three
    }

    [Fact]
    public async Task An_incomplete_group_waits_no_longer_than_its_bound_and_other_work_starts_it_at_once()
    {
        var lonely = scenario.Request("Once upon a time", maxTokens: 4, ServingScenario.AdapterSets[1], stopAtEndOfGeneration: false)
            with { Group = new PrefillGroup("query-2", 2) };
        await using (var bounded = scenario.Engine(new EngineOptions { GroupWait = TimeSpan.FromMilliseconds(200) }))
        {
            // Its sibling never comes (it failed before the engine, or went to another silo): it runs after the bound.
            var started = Stopwatch.GetTimestamp();
            var result = await bounded.GenerateAsync(lonely, cancellation: TestCancellation);
            Assert.Equal(4, result.Tokens.Count);
            Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(190), "the engine did not wait for the sibling");
        }

        // A request that belongs to no group is never held back, and the held one starts with it.
        await using var engine = scenario.Engine(new EngineOptions { GroupWait = TimeSpan.FromMinutes(10) });
        var held = engine.GenerateAsync(lonely, cancellation: TestCancellation);
        await Task.Delay(50, TestCancellation);
        Assert.False(held.IsCompleted);
        var alone = engine.GenerateAsync(scenario.Request("Once upon a time", maxTokens: 4, stopAtEndOfGeneration: false), cancellation: TestCancellation);
        var results = await Task.WhenAll(held, alone).WaitAsync(TimeSpan.FromMinutes(1), TestCancellation);
        Assert.All(results, result => Assert.Equal(4, result.Tokens.Count));
    }

    [Fact]
    public async Task A_group_of_no_requests_is_refused()
    {
        await using var engine = scenario.Engine();
        var request = scenario.Request("Once upon a time", maxTokens: 4) with { Group = new PrefillGroup("query-3", 0) };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.GenerateAsync(request, cancellation: TestCancellation));
    }

    [Fact]
    public async Task Decode_steps_run_libtorch_on_the_engine_thread_alone_and_an_idle_engine_leaves_the_process_count()
    {
        var processThreads = OnNewThread(get_num_threads);
        if (processThreads < 2) Assert.Skip("libtorch runs one thread in this process: there is nothing to switch");
        var counts = new List<int>();

        await using var engine = scenario.Engine();
        await engine.GenerateAsync(scenario.Request("Once upon a time", maxTokens: 8, ServingScenario.AdapterSets[1], stopAtEndOfGeneration: false),
            token => counts.Add(get_num_threads()), TestCancellation); // onToken runs on the engine thread

        Assert.Equal(8, counts.Count);
        Assert.Equal(processThreads, counts[0]); // the first token comes out of the prefill, which keeps the process's threads
        Assert.All(counts.Skip(1), count => Assert.Equal(1, count));
        Assert.Equal(processThreads, OnNewThread(get_num_threads)); // a thread starting now begins with the process's count
    }

    [Fact]
    public async Task A_request_for_no_tokens_prefills_and_ends_with_an_empty_result()
    {
        await using var engine = scenario.Engine();
        var request = scenario.Request("The little dog", maxTokens: 0, ServingScenario.AdapterSets[1]);

        var result = await engine.GenerateAsync(request, cancellation: TestCancellation);

        Assert.Empty(result.Tokens);
        Assert.Equal("", result.Text);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(request.Generation.PromptTokens.Count, engine.Statistics.PrefilledTokens);
        Assert.Equal(0, engine.Statistics.DecodeSteps);
    }

    [Fact]
    public async Task A_request_submitted_later_joins_the_running_batch_and_finishes_before_an_earlier_long_one()
    {
        await using var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 4 });
        var longRequest = scenario.Request("Once upon a time", maxTokens: 300, stopAtEndOfGeneration: false);
        var shortRequest = scenario.Request("There was a girl who loved to play with her ball", maxTokens: 8, ServingScenario.AdapterSets[1]);
        var longStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var longTokens = 0;

        var first = engine.GenerateAsync(longRequest, token => { if (Interlocked.Increment(ref longTokens) == 10) longStarted.TrySetResult(); }, TestCancellation);
        await longStarted.Task.WaitAsync(TestCancellation);
        var second = await engine.GenerateAsync(shortRequest, cancellation: TestCancellation);
        var longTokensWhenShortEnded = Volatile.Read(ref longTokens);
        var firstResult = await first;

        Assert.True(longTokensWhenShortEnded < 300, $"the long request had {longTokensWhenShortEnded} tokens when the short one ended");
        Assert.Equal(8, second.Tokens.Count);
        Assert.True(engine.Statistics.LargestBatch == 2, $"largest batch {engine.Statistics.LargestBatch}");
        ServingScenario.AssertSameGeneration(scenario.Alone(longRequest), firstResult);
        ServingScenario.AssertSameGeneration(scenario.Alone(shortRequest), second);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_the_engine_serves_afterwards()
    {
        await using var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 1, MaxQueueLength = 2 });
        var accepted = new List<Task<GenerationResult>>();
        EngineBusyException? refusal = null;
        // One row runs and two wait; which submission finds the queue full depends on when the first is admitted.
        for (var attempt = 0; attempt < 4 && refusal is null; attempt++)
        {
            try
            {
                accepted.Add(engine.GenerateAsync(scenario.Request(ServingScenario.Prompts[attempt], maxTokens: 100, stopAtEndOfGeneration: false),
                    cancellation: TestCancellation));
            }
            catch (EngineBusyException busy)
            {
                refusal = busy;
            }
        }

        Assert.NotNull(refusal);
        Assert.Equal(2, refusal.QueueLength);
        Assert.InRange(accepted.Count, 2, 3);
        Assert.All(await Task.WhenAll(accepted), result => Assert.Equal(100, result.Tokens.Count));
        var after = await engine.GenerateAsync(scenario.Request("The sun was", maxTokens: 12), cancellation: TestCancellation);
        ServingScenario.AssertSameGeneration(scenario.Alone(scenario.Request("The sun was", maxTokens: 12)), after);
        Assert.Equal(1, engine.Statistics.Rejected);
    }

    [Fact]
    public async Task Cancelling_a_running_request_frees_its_row_for_a_waiting_one_and_leaves_the_others_alone()
    {
        await using var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 2 });
        using var cancelVictim = CancellationTokenSource.CreateLinkedTokenSource(TestCancellation);
        var victimTokens = 0;
        var bystanderRequest = scenario.Request("The little dog", maxTokens: 200, ServingScenario.AdapterSets[2], stopAtEndOfGeneration: false);
        var bystanderTokens = 0;

        var victim = engine.GenerateAsync(scenario.Request("Once upon a time", maxTokens: 400, ServingScenario.AdapterSets[1], stopAtEndOfGeneration: false),
            token => { if (Interlocked.Increment(ref victimTokens) == 5) cancelVictim.Cancel(); }, cancelVictim.Token);
        var bystander = engine.GenerateAsync(bystanderRequest, _ => Interlocked.Increment(ref bystanderTokens), TestCancellation);
        var waiter = engine.GenerateAsync(scenario.Request("Lily wanted to", maxTokens: 10, stopAtEndOfGeneration: false), cancellation: TestCancellation);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => victim);
        Assert.True(victim.IsCanceled);
        Assert.InRange(Volatile.Read(ref victimTokens), 5, 6); // gone at the next token boundary
        var waited = await waiter;
        Assert.True(Volatile.Read(ref bystanderTokens) < 200, "the waiting request got the freed row while the bystander still ran");
        Assert.Equal(10, waited.Tokens.Count);
        ServingScenario.AssertSameGeneration(scenario.Alone(bystanderRequest), await bystander);
        Assert.Equal(1, engine.Statistics.Cancelled);
        Assert.Equal(0, scenario.Leases);
    }

    [Fact]
    public async Task A_failing_request_does_not_disturb_the_ones_running_beside_it()
    {
        await using var engine = scenario.Engine();
        var healthyRequest = scenario.Request("One day, a", maxTokens: 30, ServingScenario.AdapterSets[3], stopAtEndOfGeneration: false);
        var healthy = engine.GenerateAsync(healthyRequest, cancellation: TestCancellation);
        var produced = 0;
        var throwing = engine.GenerateAsync(scenario.Request("The sun was", maxTokens: 30, ServingScenario.AdapterSets[1]),
            _ => { if (++produced == 3) throw new InvalidOperationException("the caller's callback broke"); }, TestCancellation);

        var tooLong = Enumerable.Repeat(scenario.Model.Tokenizer.Encode("Once upon a time")[1], scenario.Model.Model.Config.MaxPositionEmbeddings + 1).ToArray();
        // Refused at submission, synchronously: they never take a row.
        Assert.Throws<ContextWindowExceededException>(() => { _ = engine.GenerateAsync(
            scenario.Request("x", 4) with { Generation = new GenerationRequest(tooLong, 4, SamplingOptions.Greedy) }, cancellation: TestCancellation); });
        var unknown = Assert.Throws<UnknownAdapterException>(() => { _ = engine.GenerateAsync(
            scenario.Request("The little dog", 4, [new("tales"), new("nobody")]), cancellation: TestCancellation); });
        Assert.Equal("nobody", unknown.AdapterId);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => throwing);
        Assert.Equal("the caller's callback broke", failure.Message);
        ServingScenario.AssertSameGeneration(scenario.Alone(healthyRequest), await healthy);
        Assert.Equal(1, engine.Statistics.Failed);
        Assert.Equal(1, engine.Statistics.Completed);
        Assert.Equal(0, scenario.Leases); // the lease taken for "tales" before "nobody" failed was given back
    }

    [Fact]
    public async Task Admission_takes_turns_across_specialists_so_a_busy_one_cannot_starve_a_quiet_one()
    {
        await using var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 1 });
        var firstTokens = new List<string>(); // engine thread only, in the order rows produced their first token
        Task<GenerationResult> Submit(string key, int index) => engine.GenerateAsync(
            scenario.Request(ServingScenario.Prompts[index], maxTokens: 20, fairnessKey: key, stopAtEndOfGeneration: false),
            token => { if (!firstTokens.Contains($"{key}#{index}")) firstTokens.Add($"{key}#{index}"); }, TestCancellation);

        // The busy specialist queues four requests before the quiet one sends its single request.
        var tasks = Enumerable.Range(0, 4).Select(index => Submit("busy", index)).Append(Submit("quiet", 4)).ToArray();
        await Task.WhenAll(tasks);

        Assert.Equal(5, firstTokens.Count);
        Assert.True(firstTokens.IndexOf("quiet#4") <= 2, $"served in the order {string.Join(", ", firstTokens)}");
    }

    [Fact]
    public async Task Streaming_yields_the_generated_tokens_and_a_reader_that_stops_frees_the_row()
    {
        await using var engine = scenario.Engine();
        var request = scenario.Request("Tom and his mom went", maxTokens: 20, ServingScenario.AdapterSets[1]);

        var streamed = new List<GeneratedToken>();
        await foreach (var token in engine.StreamAsync(request, TestCancellation)) streamed.Add(token);
        var expected = scenario.Alone(request);
        Assert.Equal(expected.Tokens.Select(token => token.Id), streamed.Select(token => token.Id));
        Assert.Equal(expected.Text, string.Concat(streamed.Select(token => token.Text)));

        var endless = scenario.Request("Once upon a time", maxTokens: 400, ServingScenario.AdapterSets[2], stopAtEndOfGeneration: false);
        var read = 0;
        await foreach (var _ in engine.StreamAsync(endless, TestCancellation))
        {
            if (++read == 3) break;
        }
        Assert.Equal(1, engine.Statistics.Cancelled);
        Assert.Equal(0, engine.Statistics.Running);
        Assert.Equal(0, scenario.Leases);
    }

    [Fact]
    public async Task Disposing_with_work_in_flight_ends_promptly_and_every_request_ends_cancelled()
    {
        var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 2 });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, 4).Select(index => engine.GenerateAsync(
            scenario.Request(ServingScenario.Prompts[index], maxTokens: 400, ServingScenario.AdapterSets[index], stopAtEndOfGeneration: false),
            _ => started.TrySetResult(), TestCancellation)).ToArray();
        await started.Task.WaitAsync(TestCancellation);

        await engine.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), TestCancellation);

        foreach (var task in tasks) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.All(tasks, task => Assert.True(task.IsCanceled));
        Assert.Equal(4, engine.Statistics.Cancelled);
        Assert.Throws<ObjectDisposedException>(() => { _ = engine.GenerateAsync(scenario.Request("The sun was", 4), cancellation: TestCancellation); });
        Assert.Equal(0, scenario.Leases);
        await engine.DisposeAsync(); // twice is harmless
    }

    [Fact]
    public async Task Serving_many_requests_leaves_no_tensors_behind()
    {
        await using var engine = scenario.Engine(new EngineOptions { MaxBatchSize = 4 });
        async Task Burst(int round) => await Task.WhenAll(ServingScenario.Prompts.Select((prompt, index) => engine.GenerateAsync(
            scenario.Request(prompt, maxTokens: 12 + round, ServingScenario.AdapterSets[(index + round) % 4], fairnessKey: $"s{index % 3}"),
            cancellation: TestCancellation)));

        await Burst(0);
        var afterFirstBurst = engine.IdleLiveTensors;
        for (var round = 1; round <= 3; round++) await Burst(round);

        Assert.Equal(afterFirstBurst, engine.IdleLiveTensors);
        Assert.Equal(32, engine.Statistics.Completed);
    }

    private static T OnNewThread<T>(Func<T> read)
    {
        var value = default(T)!;
        var thread = new Thread(() => value = read());
        thread.Start();
        thread.Join();
        return value;
    }

    [Fact]
    public async Task Batch_sizes_and_outcomes_are_published_as_metrics()
    {
        var batchSizes = new List<int>();
        var outcomes = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, subscriber) =>
        {
            if (instrument.Meter.Name == GenerationEngine.MeterName) subscriber.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "tsuzumi.engine.batch.size") lock (batchSizes) batchSizes.Add(value);
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "tsuzumi.engine.requests") return;
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome") lock (outcomes) outcomes[(string)tag.Value!] = outcomes.GetValueOrDefault((string)tag.Value!) + value;
            }
        });
        listener.Start();

        await using (var engine = scenario.Engine())
        {
            await Task.WhenAll(ServingScenario.Prompts.Take(4).Select((prompt, index) =>
                engine.GenerateAsync(scenario.Request(prompt, maxTokens: 10, ServingScenario.AdapterSets[index]), cancellation: TestCancellation)));
            Assert.Equal(engine.Statistics.DecodeSteps, batchSizes.Count);
            Assert.Equal(engine.Statistics.LargestBatch, batchSizes.Max());
        }

        Assert.True(batchSizes.Max() > 1);
        Assert.Equal(4, outcomes["completed"]);
    }
}
