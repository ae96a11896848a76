namespace Tsuzumi.Testing.Brokers;

/// <summary>Where a test broker came from, in the order the fixtures try them.</summary>
public enum BrokerSource
{
    /// <summary>Not resolved yet (before <c>InitializeAsync</c>).</summary>
    None,

    /// <summary>The URL in an environment variable (<c>RABBITMQ_URL</c>, <c>REDIS_URL</c>): a broker the user chose.</summary>
    EnvironmentUrl,

    /// <summary>A throw-away container started through Testcontainers on a reachable Docker engine.</summary>
    Testcontainers,

    /// <summary>A locally installed server (Debian package) started as a child process on free loopback ports.</summary>
    LocalProcess,

    /// <summary>Nothing usable: tests that need the broker skip with <c>SkipReason</c>.</summary>
    Unavailable,
}
