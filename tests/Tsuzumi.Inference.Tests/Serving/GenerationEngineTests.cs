using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Serving;

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
}
