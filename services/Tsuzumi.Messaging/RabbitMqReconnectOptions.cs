using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Tsuzumi.Messaging;

/// <summary>
/// Configuration section <c>Messaging:RabbitMq</c>: how the router's and the silo's buses get back to RabbitMQ after
/// it went away. Why a fixed, short interval: docs/decisions/0023-broker-reconnect-interval.md.
/// </summary>
public sealed record RabbitMqReconnectOptions
{
    public const string Section = "Messaging:RabbitMq";

    /// <summary>Bounds for <see cref="ReconnectInterval"/>: faster hammers a struggling broker, slower is the outage this fixes.</summary>
    public static readonly TimeSpan MinReconnectInterval = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan MaxReconnectInterval = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Wait between two attempts to reconnect a receive endpoint (and to send) while the broker is unreachable,
    /// jittered ±25 % by MassTransit, which adds one second of its own. Default 2 s.
    /// </summary>
    public TimeSpan ReconnectInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Reads and checks the section; bad values fail here, at startup, with the key and the reason.</summary>
    public static RabbitMqReconnectOptions From(IConfiguration configuration)
    {
        var options = new RabbitMqReconnectOptions();
        var key = $"{Section}:{nameof(ReconnectInterval)}";
        if (configuration[key] is { Length: > 0 } text)
        {
            if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var interval))
                throw new InvalidOperationException($"{key} '{text}' is not a time span such as 00:00:02");
            options = options with { ReconnectInterval = interval };
        }
        options.Validate();
        return options;
    }

    public void Validate()
    {
        if (ReconnectInterval < MinReconnectInterval || ReconnectInterval > MaxReconnectInterval)
            throw new InvalidOperationException(
                $"{Section}:{nameof(ReconnectInterval)} must be between {MinReconnectInterval.TotalSeconds:0.#} s and " +
                $"{MaxReconnectInterval.TotalSeconds:0} s, not {ReconnectInterval.TotalSeconds:0.###} s");
    }
}
