using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tsuzumi.Contracts;
using Tsuzumi.Silo.Extensions;
using Tsuzumi.Silo.Messaging;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Silo.Tests.Messaging;

/// <summary>
/// The silo's bus edge on a real RabbitMQ: the consumer and its definition as the silo registers them, reaching the
/// grains of the test cluster, and a requester using MassTransit's request client with both response types.
/// </summary>
[Collection(SpecialistClusterCollection.Name)]
public sealed class AskSpecialistConsumerTests(SpecialistClusterFixture cluster, RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>, IAsyncLifetime
{
    private IHost? host;

    private IRequestClient<AskSpecialist> Requester => host!.Services.GetRequiredService<IClientFactory>()
        .CreateRequestClient<AskSpecialist>(new Uri($"queue:{SpecialistQueues.AskSpecialist}"), RequestTimeout.After(s: 60));

    public async ValueTask InitializeAsync()
    {
        if (cluster.SkipReason is not null || !broker.IsAvailable) return;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:rabbitmq"] = broker.AmqpUri.ToString() });
        builder.Services.AddSingleton<IGrainFactory>(cluster.Client);
        builder.Services.AddSpecialistMessaging(builder.Configuration);
        host = builder.Build();
        await host.StartAsync();
    }

    [Fact]
    public async Task An_answer_comes_back_as_SpecialistAnswered()
    {
        SkipIfUnavailable();
        var queryId = Guid.NewGuid();

        var response = await Requester.GetResponse<SpecialistAnswered, SpecialistFailed>(Ask(queryId, "alpha"), TestContext.Current.CancellationToken);

        Assert.True(response.Is(out Response<SpecialistAnswered>? answered), $"expected an answer, got {response.Message}");
        Assert.Equal(queryId, answered!.Message.QueryId);
        Assert.Equal("alpha", answered.Message.SpecialistId);
        Assert.False(string.IsNullOrEmpty(answered.Message.Answer));
        Assert.True(answered.Message.CompletionTokens > 0 && answered.Message.LatencyMs > 0);
    }

    [Theory]
    [InlineData("nobody", SpecialistFailureCodes.UnknownSpecialist)]
    [InlineData("acme-rules", SpecialistFailureCodes.UnknownSpecialist)]
    [InlineData("broken", SpecialistFailureCodes.Unavailable)]
    [InlineData("orphan", SpecialistFailureCodes.Unavailable)]
    public async Task A_failure_comes_back_as_SpecialistFailed_with_its_code(string specialist, string code)
    {
        SkipIfUnavailable();
        var queryId = Guid.NewGuid();

        var response = await Requester.GetResponse<SpecialistAnswered, SpecialistFailed>(Ask(queryId, specialist), TestContext.Current.CancellationToken);

        Assert.True(response.Is(out Response<SpecialistFailed>? failed), $"expected a failure, got {response.Message}");
        Assert.Equal(queryId, failed!.Message.QueryId);
        Assert.Equal(specialist, failed.Message.SpecialistId);
        Assert.Equal(code, failed.Message.Code);
        Assert.False(string.IsNullOrWhiteSpace(failed.Message.Reason));
    }

    [Fact]
    public async Task A_query_whose_deadline_passed_in_the_queue_is_deadline_exceeded()
    {
        SkipIfUnavailable();
        var late = Ask(Guid.NewGuid(), "alpha") with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };

        var response = await Requester.GetResponse<SpecialistAnswered, SpecialistFailed>(late, TestContext.Current.CancellationToken);

        Assert.True(response.Is(out Response<SpecialistFailed>? failed));
        Assert.Equal(SpecialistFailureCodes.DeadlineExceeded, failed!.Message.Code);
    }

    [Fact]
    public async Task Concurrent_queries_all_get_their_own_answer()
    {
        SkipIfUnavailable();
        var ids = new[] { "alpha", "beta", "gamma", "nobody", "alpha", "beta" };
        var queries = ids.Select(id => Ask(Guid.NewGuid(), id)).ToArray();

        var responses = await Task.WhenAll(queries.Select(query =>
            Requester.GetResponse<SpecialistAnswered, SpecialistFailed>(query, TestContext.Current.CancellationToken)));

        for (var index = 0; index < queries.Length; index++)
        {
            var response = responses[index];
            var queryId = response.Message switch { SpecialistAnswered a => a.QueryId, SpecialistFailed f => f.QueryId, _ => Guid.Empty };
            Assert.Equal(queries[index].QueryId, queryId);
            Assert.Equal(queries[index].SpecialistId == "nobody", response.Message is SpecialistFailed);
        }
    }

    [Fact]
    public async Task A_burst_beyond_the_engine_queue_is_retried_while_the_deadline_allows_and_every_query_gets_a_response()
    {
        SkipIfUnavailable();
        var engine = cluster.Client.GetGrain<ISpecialistGrain>("gamma");
        var before = await engine.GetEngineStatsAsync();
        var queries = Enumerable.Range(0, 60).Select(_ => Ask(Guid.NewGuid(), "gamma") with { MaxTokens = 24 }).ToArray();

        var responses = await Task.WhenAll(queries.Select(query =>
            Requester.GetResponse<SpecialistAnswered, SpecialistFailed>(query, TestContext.Current.CancellationToken)));

        Assert.Equal(queries.Select(query => query.QueryId).Order(), responses.Select(response => response.Message switch
        {
            SpecialistAnswered answered => answered.QueryId,
            SpecialistFailed failed => failed.QueryId,
            _ => Guid.Empty,
        }).Order());
        // Busy is the only acceptable failure, and only after the retries ran out.
        Assert.All(responses.Select(response => response.Message).OfType<SpecialistFailed>(), failed => Assert.Equal(SpecialistFailureCodes.Busy, failed.Code));
        Assert.Contains(responses, response => response.Message is SpecialistAnswered);
        // A query answered busy was refused by the engine once per attempt: the first and every retry.
        var busy = responses.Count(response => response.Message is SpecialistFailed);
        var rejected = (await engine.GetEngineStatsAsync()).Rejected - before.Rejected;
        Assert.True(rejected >= busy * (AskSpecialistConsumerDefinition.RetryLimit + 1), $"{busy} busy answers but only {rejected} rejections");
    }

    private static AskSpecialist Ask(Guid queryId, string specialist) => new()
    {
        QueryId = queryId,
        SpecialistId = specialist,
        Tenant = "public",
        Conversation = [new ChatTurn("user", "Tim saw a big fish")],
        MaxTokens = 12,
        Deadline = DateTimeOffset.UtcNow.AddMinutes(1),
    };

    private void SkipIfUnavailable()
    {
        cluster.SkipIfUnavailable();
        broker.SkipIfUnavailable();
    }

    public async ValueTask DisposeAsync()
    {
        if (host is null) return;
        await host.StopAsync();
        host.Dispose();
    }
}
