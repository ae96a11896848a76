using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

/// <summary>Against a real broker from <see cref="RabbitMqFixture"/>; skipped, with the reason, where none can be had.</summary>
public class RabbitMqFixtureTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_message_published_to_a_queue_reaches_its_consumer()
    {
        broker.SkipIfUnavailable();
        await using var connection = await Connect(broker.AmqpUri);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Cancellation);
        var queue = (await channel.QueueDeclareAsync(exclusive: true, cancellationToken: Cancellation)).QueueName;

        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            received.TrySetResult(Encoding.UTF8.GetString(delivery.Body.Span));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer, Cancellation);
        await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes("こんにちは, broker"), Cancellation);

        Assert.Equal("こんにちは, broker", await received.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancellation));
    }

    [Fact]
    public async Task A_restart_refuses_connections_while_down_then_serves_the_durable_queue_on_the_same_uri()
    {
        broker.SkipIfUnavailable();
        if (!broker.CanRestart) Assert.Skip($"the broker came from {broker.Source} and is not the fixture's to restart");
        var queue = $"restart-{Guid.NewGuid():N}";
        var uriBefore = broker.AmqpUri;
        await using (var connection = await Connect(uriBefore))
        await using (var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Cancellation))
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: Cancellation);
            // With confirmations on, this returns only once the broker has the persistent message on disk.
            await channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { Persistent = true },
                Encoding.UTF8.GetBytes("survives restarts"), Cancellation);
        }
        await using var openDuringRestart = await Connect(uriBefore);

        var restart = broker.RestartAsync(Cancellation);
        await WaitUntilAsync(() => !openDuringRestart.IsOpen, TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => Connect(uriBefore));
        await restart;

        if (broker.Source == BrokerSource.LocalProcess) Assert.Equal(uriBefore, broker.AmqpUri);
        await using var after = await Connect(broker.AmqpUri);
        await using var afterChannel = await after.CreateChannelAsync(cancellationToken: Cancellation);
        var message = await afterChannel.BasicGetAsync(queue, autoAck: true, Cancellation);
        Assert.NotNull(message);
        Assert.Equal("survives restarts", Encoding.UTF8.GetString(message.Body.Span));
        await afterChannel.QueueDeleteAsync(queue, cancellationToken: Cancellation);
    }

    [Fact]
    public async Task Two_fixtures_at_once_run_separate_nodes_on_different_ports()
    {
        broker.SkipIfUnavailable();
        if (broker.Source != BrokerSource.LocalProcess) Assert.Skip($"only local nodes are started per fixture (this one: {broker.Source})");
        await using var second = new RabbitMqFixture();
        await second.InitializeAsync();

        var (first, other) = (broker.LocalNode!, second.LocalNode!);
        Assert.NotEqual(first.AmqpPort, other.AmqpPort);
        Assert.NotEqual(first.EpmdPort, other.EpmdPort);
        Assert.NotEqual(first.DistributionPort, other.DistributionPort);
        Assert.NotEqual(first.NodeName, other.NodeName);

        // A queue made on one node does not exist on the other: they are separate brokers, not two names for one.
        var queue = $"only-on-first-{Guid.NewGuid():N}";
        await using var firstConnection = await Connect(broker.AmqpUri);
        await using var firstChannel = await firstConnection.CreateChannelAsync(cancellationToken: Cancellation);
        await firstChannel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: Cancellation);
        await using var otherConnection = await Connect(second.AmqpUri);
        await using var otherChannel = await otherConnection.CreateChannelAsync(cancellationToken: Cancellation);
        var missing = await Assert.ThrowsAsync<OperationInterruptedException>(() => otherChannel.QueueDeclarePassiveAsync(queue, Cancellation));
        Assert.Equal((ushort)404, missing.ShutdownReason?.ReplyCode);
    }

    [Fact]
    public async Task A_broker_named_by_RABBITMQ_URL_is_used_as_it_is_and_never_stopped()
    {
        broker.SkipIfUnavailable();
        await using var named = RabbitMqFixture.WithOptions(new BrokerFixtureOptions
        {
            ReadEnvironment = name => name == RabbitMqFixture.UrlVariable ? broker.AmqpUri.ToString() : null,
            IsDockerEngineReachable = () => throw new InvalidOperationException("Docker must not be probed when a URL is set"),
        });
        await named.InitializeAsync();

        Assert.Equal(BrokerSource.EnvironmentUrl, named.Source);
        Assert.Equal(broker.AmqpUri, named.AmqpUri);
        Assert.Null(named.LocalNode);
        Assert.False(named.CanRestart);
        await Assert.ThrowsAsync<NotSupportedException>(named.StopAsync);
        await using var connection = await Connect(named.AmqpUri);
        Assert.True(connection.IsOpen);
    }

    private static Task<IConnection> Connect(Uri uri) =>
        new ConnectionFactory { Uri = uri, AutomaticRecoveryEnabled = false, RequestedConnectionTimeout = TimeSpan.FromSeconds(5) }
            .CreateConnectionAsync(Cancellation);

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"condition not met within {timeout.TotalSeconds:0} s");
            await Task.Delay(20, Cancellation);
        }
    }
}
