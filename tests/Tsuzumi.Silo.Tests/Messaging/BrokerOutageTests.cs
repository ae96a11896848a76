using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tsuzumi.Contracts;
using Tsuzumi.Silo.Extensions;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Silo.Tests.Messaging;

/// <summary>
/// The silo's bus, as the silo registers it, after RabbitMQ was down for half a minute: the <c>ask-specialist</c>
/// consumer and the response queue reconnect within seconds of the broker's return, not after MassTransit's backoff
/// (up to 30 s between attempts by then). The broker is this class's own, so the restart disturbs no other test.
/// </summary>
[Collection(SpecialistClusterCollection.Name)]
public sealed class BrokerOutageTests(SpecialistClusterFixture cluster, RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    /// <summary>Reconnect attempts come every ~2–3.5 s (Messaging:RabbitMq:ReconnectInterval); the rest is room for a loaded CI box.</summary>
    private static readonly TimeSpan RecoveryWindow = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_silo_answers_again_within_seconds_of_rabbitmq_returning_from_a_long_outage()
    {
        cluster.SkipIfUnavailable();
        broker.SkipIfUnavailable();
        Assert.SkipUnless(broker.CanRestart, "the broker named by RABBITMQ_URL cannot be restarted by the test");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:rabbitmq"] = broker.AmqpUri.ToString() });
        builder.Services.AddSingleton<IGrainFactory>(cluster.Client);
        builder.Services.AddSpecialistMessaging(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        // Stopped, not only disposed: a disposed host's bus would go on taking ask-specialist messages from the shared
        // broker and fault them (its service provider is gone) for the next class of this collection.
        try
        {
            var clock = Stopwatch.StartNew();
            var endpoints = new ReceiveEndpointReadiness(clock);
            using var observing = host.Services.GetRequiredService<IBusControl>().ConnectReceiveEndpointObserver(endpoints);
            var clients = host.Services.GetRequiredService<IClientFactory>();
            Assert.Equal("answered", await AskAsync(clients, TimeSpan.FromSeconds(60)));

            await broker.RestartAsync(Outage, TestContext.Current.CancellationToken);
            var back = clock.Elapsed;
            var attempts = new List<string>();
            while (clock.Elapsed - back < RecoveryWindow)
            {
                attempts.Add(await AskAsync(clients, TimeSpan.FromSeconds(3)));
                if (attempts[^1] == "answered") break;
                await Task.Delay(TimeSpan.FromMilliseconds(250), TestContext.Current.CancellationToken);
            }
            var recovery = clock.Elapsed - back;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"broker held down {Outage.TotalSeconds:0} s; after it was back: {attempts.Count} asks " +
                $"({string.Join(", ", attempts.GroupBy(a => a).Select(g => $"{g.Key} {g.Count()}"))}), " +
                $"the last {recovery.TotalSeconds:0.0} s after; receive endpoints ready again after {endpoints.DescribeReadyAfter(back)}");

            Assert.Equal("answered", attempts[^1]);
            Assert.True(recovery <= RecoveryWindow, $"the silo answered {recovery.TotalSeconds:0.0} s after the broker was back");
            Assert.True(endpoints.ReadyAfter(back, SpecialistQueues.AskSpecialist), "the ask-specialist endpoint did not report ready again");
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>answered / failed CODE / the exception's type (broker unreachable, no response in time).</summary>
    private static async Task<string> AskAsync(IClientFactory clients, TimeSpan timeout)
    {
        var requester = clients.CreateRequestClient<AskSpecialist>(new Uri($"queue:{SpecialistQueues.AskSpecialist}"), RequestTimeout.After(ms: (int)timeout.TotalMilliseconds));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(timeout + TimeSpan.FromSeconds(2));
        try
        {
            var response = await requester.GetResponse<SpecialistAnswered, SpecialistFailed>(new AskSpecialist
            {
                QueryId = Guid.NewGuid(),
                SpecialistId = "alpha",
                Tenant = "public",
                Conversation = [new ChatTurn("user", "Tim saw a big fish")],
                MaxTokens = 8,
                Deadline = DateTimeOffset.UtcNow + timeout,
            }, cancel.Token);
            return response.Message is SpecialistFailed failed ? $"failed {failed.Code}" : "answered";
        }
        catch (Exception error) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return error.GetType().Name;
        }
    }
}
