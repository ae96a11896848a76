using DotNet.Testcontainers.Containers;
using Xunit;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// The resolution and lifecycle every broker fixture shares, as an xunit v3 class, collection or assembly fixture.
/// Resolved in this order: the URL variable (must answer, else the fixture fails), Testcontainers when a Docker
/// engine answers, the locally installed server on free loopback ports, else unavailable — tests then call
/// <see cref="SkipIfUnavailable"/>. Why this order: docs/decisions/0002-test-brokers.md.
/// </summary>
/// <typeparam name="TLocalServer">The server this fixture starts itself when neither a URL nor Docker is there.</typeparam>
/// <typeparam name="TContainer">The Testcontainers container used when a Docker engine answers.</typeparam>
/// <typeparam name="TEndpoint">What clients connect to, e.g. an AMQP URI or a Redis configuration string.</typeparam>
public abstract class BrokerFixture<TLocalServer, TContainer, TEndpoint> : IAsyncLifetime
    where TLocalServer : LocalServerProcess
    where TContainer : DockerContainer
    where TEndpoint : class
{
    // One line per broker kind and test process (a static of a generic type is per closed type), not one per fixture.
    private static int _skipReasonPrinted;

    private TContainer? _container;

    private protected BrokerFixture(BrokerFixtureOptions options) => Options = options;

    /// <summary>Where the broker came from.</summary>
    public BrokerSource Source { get; private set; }

    /// <summary>Why there is no broker; null when there is one.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Whether a broker is there to use.</summary>
    public bool IsAvailable => Endpoint is not null;

    /// <summary>Whether <see cref="StopAsync"/>, <see cref="StartAsync"/> and <see cref="RestartAsync(CancellationToken)"/> work (not for a broker named by URL).</summary>
    public bool CanRestart => Source is BrokerSource.LocalProcess or BrokerSource.Testcontainers;

    private protected BrokerFixtureOptions Options { get; }

    /// <summary>The server started by this fixture, when <see cref="Source"/> is <see cref="BrokerSource.LocalProcess"/>.</summary>
    private protected TLocalServer? Local { get; private set; }

    /// <summary>Where clients connect; null while there is no broker.</summary>
    private protected TEndpoint? Endpoint { get; private set; }

    /// <summary>The broker's product name in messages, e.g. <c>RabbitMQ</c>.</summary>
    private protected abstract string ProductName { get; }

    /// <summary>What the product is called in messages: <c>broker</c> or <c>server</c>.</summary>
    private protected abstract string Noun { get; }

    private protected abstract string UrlVariableName { get; }

    private protected abstract string InstallHintText { get; }

    private protected abstract string DefaultLocalServerPath { get; }

    private protected abstract TContainer BuildContainer();

    /// <summary>Where clients reach the started container (its host port may change on every start).</summary>
    private protected abstract TEndpoint ContainerEndpoint(TContainer container);

    private protected abstract TEndpoint LocalEndpoint(TLocalServer local);

    private protected abstract Task<TLocalServer> StartLocalServerAsync(string serverPath, TimeSpan startupTimeout);

    /// <summary>Checks the URL from <see cref="UrlVariableName"/> and waits until the broker answers; throws <see cref="BrokerFixtureException"/> if it does not.</summary>
    private protected abstract Task<TEndpoint> VerifyExternalBrokerAsync(string url);

    /// <summary>The endpoint, or an exception telling the test to call <see cref="SkipIfUnavailable"/> first.</summary>
    private protected TEndpoint RequireEndpoint() => Endpoint ?? throw new InvalidOperationException(
        $"no {ProductName} {Noun}: {SkipReason ?? "the fixture was not initialized"}; call SkipIfUnavailable() first");

    /// <summary>Skips the calling test, with the reason, when there is no broker.</summary>
    public void SkipIfUnavailable()
    {
        if (!IsAvailable) Assert.Skip($"{ProductName} unavailable: {SkipReason ?? "the fixture was not initialized"}");
    }

    public async ValueTask InitializeAsync()
    {
        var serverPath = Options.LocalServerPath ?? DefaultLocalServerPath;
        var plan = BrokerResolution.Decide(
            UrlVariableName, Options.ReadEnvironment(UrlVariableName), Options.IsDockerEngineReachable,
            serverPath, File.Exists(serverPath), InstallHintText);
        Source = plan.Source;
        switch (plan.Source)
        {
            case BrokerSource.EnvironmentUrl:
                Endpoint = await VerifyExternalBrokerAsync(plan.ExternalUrl!);
                break;
            case BrokerSource.Testcontainers:
                _container = BuildContainer();
                await StartContainerAsync();
                break;
            case BrokerSource.LocalProcess:
                Local = await StartLocalServerAsync(plan.LocalServerPath!, Options.StartupTimeout);
                Endpoint = LocalEndpoint(Local);
                break;
            default:
                SkipReason = plan.SkipReason;
                if (Interlocked.Exchange(ref _skipReasonPrinted, 1) == 0)
                    Console.Error.WriteLine($"[{GetType().Name}] {ProductName} tests will be skipped: {SkipReason}");
                break;
        }
    }

    /// <summary>Stops the broker; whether its data survives depends on the broker (see the fixture's summary).</summary>
    public async Task StopAsync()
    {
        if (Local is not null) await Local.StopAsync();
        else if (_container is not null) await _container.StopAsync();
        else throw NotOurs();
    }

    /// <summary>Starts the stopped broker again and waits until it accepts clients.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Local is not null) await Local.StartAsync(cancellationToken);
        else if (_container is not null) await StartContainerAsync(cancellationToken);
        else throw NotOurs();
    }

    /// <summary>Stops and starts the broker; a local server keeps its ports (and, for RabbitMQ, its data directory).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => RestartAsync(TimeSpan.Zero, cancellationToken);

    /// <summary>
    /// Stops the broker, keeps it down for <paramref name="downFor"/> once it has stopped (a long outage, as when a
    /// node is rescheduled), then starts it and waits until it accepts clients.
    /// </summary>
    public async Task RestartAsync(TimeSpan downFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(downFor, TimeSpan.Zero);
        await StopAsync();
        if (downFor > TimeSpan.Zero) await Task.Delay(downFor, cancellationToken);
        await StartAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Local is not null) await Local.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
        Local = null;
        _container = null;
        Endpoint = null;
        GC.SuppressFinalize(this);
    }

    private async Task StartContainerAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.StartupTimeout);
        await _container!.StartAsync(timeout.Token);
        Endpoint = ContainerEndpoint(_container);
    }

    private NotSupportedException NotOurs() => new(
        Source == BrokerSource.EnvironmentUrl
            ? $"the {Noun} named by {UrlVariableName} is not the fixture's to stop or start; check CanRestart first"
            : $"no {Noun} to stop or start ({SkipReason ?? "fixture not initialized"})");
}
