using Xunit;
using Testcontainers.Redis;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A Redis server for tests, as an xunit v3 class, collection or assembly fixture. Resolved in this order:
/// <c>REDIS_URL</c> (must answer, else the fixture fails), Testcontainers when a Docker engine answers, the
/// locally installed redis-server on a free loopback port, else unavailable — tests then call
/// <see cref="SkipIfUnavailable"/>. Why this order: docs/decisions/0002-test-brokers.md.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    /// <summary>The variable naming a server the user wants the tests to use.</summary>
    public const string UrlVariable = "REDIS_URL";

    /// <summary>What to install so the tests run without Docker.</summary>
    public const string InstallHint = "apt-get install redis-server";

    /// <summary>The image used when a Docker engine is reachable.</summary>
    public const string ContainerImage = "redis:7.0-alpine";

    private static int _skipReasonPrinted;

    private readonly BrokerFixtureOptions _options;
    private RedisContainer? _container;
    private string? _connectionString;

    /// <summary>The fixture xunit creates: real environment, Docker probe and installed server.</summary>
    public RedisFixture() : this(BrokerFixtureOptions.Default) { }

    private RedisFixture(BrokerFixtureOptions options) => _options = options;

    /// <summary>A fixture that resolves with <paramref name="options"/> (tests of the fixture itself); call <c>InitializeAsync</c> yourself.</summary>
    public static RedisFixture WithOptions(BrokerFixtureOptions options) => new(options);

    /// <summary>Where the server came from.</summary>
    public BrokerSource Source { get; private set; }

    /// <summary>Why there is no server; null when there is one.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Whether a server is there to use.</summary>
    public bool IsAvailable => _connectionString is not null;

    /// <summary>Whether <see cref="StopAsync"/>, <see cref="StartAsync"/> and <see cref="RestartAsync"/> work (not for a server named by URL).</summary>
    public bool CanRestart => Source is BrokerSource.LocalProcess or BrokerSource.Testcontainers;

    /// <summary>The server started by this fixture (port, logs), when <see cref="Source"/> is <see cref="BrokerSource.LocalProcess"/>.</summary>
    public LocalRedisServer? LocalServer { get; private set; }

    /// <summary>
    /// StackExchange.Redis configuration string, e.g. <c>127.0.0.1:40123</c>. A local server keeps it across
    /// restarts; a container's host port may change, so read it again afterwards.
    /// </summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException(
        $"no Redis server: {SkipReason ?? "the fixture was not initialized"}; call SkipIfUnavailable() first");

    /// <summary>Skips the calling test, with the reason, when there is no server.</summary>
    public void SkipIfUnavailable()
    {
        if (!IsAvailable) Assert.Skip($"Redis unavailable: {SkipReason ?? "the fixture was not initialized"}");
    }

    public async ValueTask InitializeAsync()
    {
        var serverPath = _options.LocalServerPath ?? LocalRedisServer.DefaultServerPath;
        var plan = BrokerResolution.Decide(
            UrlVariable, _options.ReadEnvironment(UrlVariable), _options.IsDockerEngineReachable,
            serverPath, File.Exists(serverPath), InstallHint);
        Source = plan.Source;
        switch (plan.Source)
        {
            case BrokerSource.EnvironmentUrl:
                _connectionString = await VerifyExternalServerAsync(plan.ExternalUrl!);
                break;
            case BrokerSource.Testcontainers:
                _container = new RedisBuilder(ContainerImage).Build();
                await StartContainerAsync();
                break;
            case BrokerSource.LocalProcess:
                LocalServer = await LocalRedisServer.StartNewAsync(plan.LocalServerPath!, _options.StartupTimeout);
                _connectionString = LocalServer.ConnectionString;
                break;
            default:
                SkipReason = plan.SkipReason;
                if (Interlocked.Exchange(ref _skipReasonPrinted, 1) == 0)
                    Console.Error.WriteLine($"[{nameof(RedisFixture)}] Redis tests will be skipped: {SkipReason}");
                break;
        }
    }

    /// <summary>Stops the server. Its data is gone afterwards: the fixture's servers run without persistence.</summary>
    public async Task StopAsync()
    {
        if (LocalServer is not null) await LocalServer.StopAsync();
        else if (_container is not null) await _container.StopAsync();
        else throw NotOurs();
    }

    /// <summary>Starts the stopped server again and waits until it answers PING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (LocalServer is not null) await LocalServer.StartAsync(cancellationToken);
        else if (_container is not null) await StartContainerAsync(cancellationToken);
        else throw NotOurs();
    }

    /// <summary>Stops and starts the server; a local server keeps its port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync();
        await StartAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (LocalServer is not null) await LocalServer.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
        LocalServer = null;
        _container = null;
        _connectionString = null;
    }

    private async Task StartContainerAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartupTimeout);
        await _container!.StartAsync(timeout.Token);
        _connectionString = _container.GetConnectionString();
    }

    private async Task<string> VerifyExternalServerAsync(string url)
    {
        var connectionString = RedisUrl.ToConnectionString(url);
        var failure = await LocalRedisServer.WaitUntilPingsAsync(connectionString, _options.ExternalBrokerTimeout);
        if (failure is not null)
            throw new BrokerFixtureException(
                $"{UrlVariable}={RedisUrl.Redact(url)} did not answer PING within {_options.ExternalBrokerTimeout.TotalSeconds:0} s " +
                $"({failure.Message}). Start that server, or unset {UrlVariable} to let the tests start their own.", failure);
        return connectionString;
    }

    private NotSupportedException NotOurs() => new(
        Source == BrokerSource.EnvironmentUrl
            ? $"the server named by {UrlVariable} is not the fixture's to stop or start; check CanRestart first"
            : $"no server to stop or start ({SkipReason ?? "fixture not initialized"})");
}
