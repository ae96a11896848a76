using System.IO;
using System.Reflection;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using RabbitMQ.Client.Exceptions;
using Tsuzumi.Messaging;

namespace MassTransit;

public static class RabbitMqReconnectExtensions
{
    /// <summary>
    /// Makes the bus retry a lost broker every <paramref name="interval"/> (±25 %, plus MassTransit's own second)
    /// for as long as it takes, instead of MassTransit 8's backoff that grows to 30 s ±25 % between attempts and gives
    /// up after 1000 of them. Call inside <c>UsingRabbitMq</c>, before the bus is built.
    /// </summary>
    /// <remarks>
    /// MassTransit 8.5 has no setting for this: the policy is a get-only property of its RabbitMQ host configuration,
    /// read by every receive endpoint when it starts and by every send. It is replaced here through reflection, which
    /// fails at startup, loudly, if a MassTransit upgrade moves it (the version is pinned in Directory.Packages.props).
    /// </remarks>
    public static IRabbitMqBusFactoryConfigurator UseReconnectInterval(this IRabbitMqBusFactoryConfigurator configurator, TimeSpan interval)
    {
        new RabbitMqReconnectOptions { ReconnectInterval = interval }.Validate();
        var hostConfiguration = FindField(configurator.GetType(), field => field.FieldType == typeof(IRabbitMqHostConfiguration))
                ?.GetValue(configurator) as RabbitMqHostConfiguration
            ?? throw Moved($"{configurator.GetType().Name} holds no {nameof(RabbitMqHostConfiguration)}");
        var policyField = FindField(typeof(RabbitMqHostConfiguration), field => field.Name == $"<{nameof(RabbitMqHostConfiguration.ReceiveTransportRetryPolicy)}>k__BackingField")
            ?? throw Moved($"{nameof(RabbitMqHostConfiguration)}.{nameof(RabbitMqHostConfiguration.ReceiveTransportRetryPolicy)} is no longer an auto-property");
        policyField.SetValue(hostConfiguration, ReconnectPolicy(interval));
        return configurator;
    }

    /// <summary>
    /// The exceptions MassTransit 8.5.12's RabbitMQ host retries on (broker gone, connection or channel closed), at
    /// a fixed interval: with the minimum, the maximum and the step all equal, its exponential policy never grows.
    /// No retry limit: a receive endpoint that stops retrying never consumes again until the process restarts.
    /// </summary>
    internal static IRetryPolicy ReconnectPolicy(TimeSpan interval) => Retry.CreatePolicy(retry =>
    {
        retry.Handle<ConnectionException>();
        retry.Handle<AlreadyClosedException>();
        retry.Handle<EndOfStreamException>();
        retry.Handle<OperationInterruptedException>(exception => exception.ChannelShouldBeClosed());
        retry.Handle<NotSupportedException>(exception => exception.Message.Contains("Pipelining of requests forbidden", StringComparison.Ordinal));
        retry.Ignore<AuthenticationFailureException>();
        retry.Exponential(int.MaxValue, interval, interval, interval);
    });

    private static FieldInfo? FindField(Type? type, Func<FieldInfo, bool> match)
    {
        for (; type is not null; type = type.BaseType)
            if (type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly).FirstOrDefault(match) is { } field)
                return field;
        return null;
    }

    private static InvalidOperationException Moved(string what) => new(
        $"Cannot set the RabbitMQ reconnect interval: {what}. MassTransit changed; see docs/decisions/0023-broker-reconnect-interval.md.");
}
