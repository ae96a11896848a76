namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// What a broker fixture looks at while resolving. The defaults read the real environment; tests of the
/// fixtures replace them so they never have to change process-wide environment variables (tests run in parallel).
/// </summary>
public sealed record BrokerFixtureOptions
{
    /// <summary>Reads an environment variable such as <c>RABBITMQ_URL</c>.</summary>
    public Func<string, string?> ReadEnvironment { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Whether Testcontainers may be used; the default probes the engine once per process.</summary>
    public Func<bool> IsDockerEngineReachable { get; init; } = DockerEngineProbe.IsDefaultEngineReachable;

    /// <summary>The local server executable; <c>null</c> means the Debian package's path for that broker.</summary>
    public string? LocalServerPath { get; init; }

    /// <summary>How long a local server or container may take to accept its first client (RabbitMQ boots in ~6 s on an idle 2-core box, far slower on a loaded one).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a broker named by URL may take to answer before the fixture fails.</summary>
    public TimeSpan ExternalBrokerTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The defaults: the real environment, Docker probe and installed servers.</summary>
    public static BrokerFixtureOptions Default { get; } = new();
}
