using Testcontainers.Redis;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A Redis server for tests, as an xunit v3 class, collection or assembly fixture. Resolved in this order:
/// <c>REDIS_URL</c> (must answer, else the fixture fails), Testcontainers when a Docker engine answers, the
/// locally installed redis-server on a free loopback port, else unavailable — tests then call
/// <c>SkipIfUnavailable</c>. Why this order: docs/decisions/0002-test-brokers.md. A stopped server's data is
/// gone: the fixture's servers run without persistence.
/// </summary>
public sealed class RedisFixture : BrokerFixture<LocalRedisServer, RedisContainer, string>
{
    /// <summary>The variable naming a server the user wants the tests to use.</summary>
    public const string UrlVariable = "REDIS_URL";

    /// <summary>What to install so the tests run without Docker.</summary>
    public const string InstallHint = "apt-get install redis-server";

    /// <summary>The image used when a Docker engine is reachable.</summary>
    public const string ContainerImage = "redis:7.0-alpine";

    /// <summary>The fixture xunit creates: real environment, Docker probe and installed server.</summary>
    public RedisFixture() : this(BrokerFixtureOptions.Default) { }

    private RedisFixture(BrokerFixtureOptions options) : base(options) { }

    /// <summary>A fixture that resolves with <paramref name="options"/> (tests of the fixture itself); call <c>InitializeAsync</c> yourself.</summary>
    public static RedisFixture WithOptions(BrokerFixtureOptions options) => new(options);

    /// <summary>The server started by this fixture (port, logs), when <c>Source</c> is <see cref="BrokerSource.LocalProcess"/>.</summary>
    public LocalRedisServer? LocalServer => Local;

    /// <summary>
    /// StackExchange.Redis configuration string, e.g. <c>127.0.0.1:40123</c>. A local server keeps it across
    /// restarts; a container's host port may change, so read it again afterwards.
    /// </summary>
    public string ConnectionString => RequireEndpoint();

    private protected override string ProductName => "Redis";
    private protected override string Noun => "server";
    private protected override string UrlVariableName => UrlVariable;
    private protected override string InstallHintText => InstallHint;
    private protected override string DefaultLocalServerPath => LocalRedisServer.DefaultServerPath;

    private protected override RedisContainer BuildContainer() => new RedisBuilder(ContainerImage).Build();

    private protected override string ContainerEndpoint(RedisContainer container) => container.GetConnectionString();

    private protected override string LocalEndpoint(LocalRedisServer local) => local.ConnectionString;

    private protected override Task<LocalRedisServer> StartLocalServerAsync(string serverPath, TimeSpan startupTimeout) =>
        LocalRedisServer.StartNewAsync(serverPath, startupTimeout);

    private protected override async Task<string> VerifyExternalBrokerAsync(string url)
    {
        var connectionString = RedisUrl.ToConnectionString(url);
        var failure = await LocalRedisServer.WaitUntilPingsAsync(connectionString, Options.ExternalBrokerTimeout);
        if (failure is not null)
            throw new BrokerFixtureException(
                $"{UrlVariable}={RedisUrl.Redact(url)} did not answer PING within {Options.ExternalBrokerTimeout.TotalSeconds:0} s " +
                $"({failure.Message}). Start that server, or unset {UrlVariable} to let the tests start their own.", failure);
        return connectionString;
    }
}
