using RabbitMQ.Client;

namespace Tsuzumi.Testing.Brokers;

/// <summary>Decides a RabbitMQ broker is ready the only way that counts: an AMQP connection opens.</summary>
public static class AmqpProbe
{
    /// <summary>
    /// Tries to connect until it works or <paramref name="timeout"/> passes. <paramref name="whyGiveUp"/> is
    /// asked between tries (e.g. "the server process exited") so a dead broker fails at once instead of at the timeout.
    /// Returns null on success, else the last error.
    /// </summary>
    public static async Task<Exception?> WaitUntilConnectsAsync(
        Uri amqpUri, TimeSpan timeout, Func<string?>? whyGiveUp = null, CancellationToken cancellationToken = default)
    {
        var factory = new ConnectionFactory
        {
            Uri = amqpUri,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
            AutomaticRecoveryEnabled = false,
        };
        var deadline = DateTime.UtcNow + timeout;
        Exception lastError = new TimeoutException($"no connection attempt finished within {timeout.TotalSeconds:0} s");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                return null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lastError = exception;
            }
            if (whyGiveUp?.Invoke() is { } reason) return new BrokerFixtureException(reason, lastError);
            if (DateTime.UtcNow >= deadline) return lastError;
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>The URI without its password, for messages.</summary>
    public static string Redact(Uri uri) =>
        string.IsNullOrEmpty(uri.UserInfo) ? uri.ToString() : uri.ToString().Replace(uri.UserInfo + "@", uri.UserInfo.Split(':')[0] + ":***@", StringComparison.Ordinal);
}
