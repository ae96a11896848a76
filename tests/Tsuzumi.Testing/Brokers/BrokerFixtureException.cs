namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A test broker could not be reached or started. The message names the broker, its address and,
/// for a local server, the tail of its log, so a failing CI run explains itself.
/// </summary>
public sealed class BrokerFixtureException : Exception
{
    public BrokerFixtureException(string message) : base(message) { }

    public BrokerFixtureException(string message, Exception? innerException) : base(message, innerException) { }
}
