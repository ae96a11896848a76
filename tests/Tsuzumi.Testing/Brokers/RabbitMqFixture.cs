using Xunit;
using Testcontainers.RabbitMq;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A RabbitMQ broker for tests, as an xunit v3 class, collection or assembly fixture. Resolved in this order:
/// <c>RABBITMQ_URL</c> (must answer, else the fixture fails), Testcontainers when a Docker engine answers, the
/// locally installed rabbitmq-server on free loopback ports, else unavailable — tests then call
/// <see cref="SkipIfUnavailable"/>. Why this order: docs/decisions/0002-test-brokers.md.
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    /// <summary>The variable naming a broker the user wants the tests to use.</summary>
    public const string UrlVariable = "RABBITMQ_URL";

    /// <summary>What to install so the tests run without Docker.</summary>
    public const string InstallHint = "apt-get install rabbitmq-server";

    /// <summary>The image used when a Docker engine is reachable.</summary>
    public const string ContainerImage = "rabbitmq:3.13-alpine";

    private static int _skipReasonPrinted;

    private readonly BrokerFixtureOptions _options;
    private RabbitMqContainer? _container;
    private Uri? _amqpUri;

    /// <summary>The fixture xunit creates: real environment, Docker probe and installed server.</summary>
    public RabbitMqFixture() : this(BrokerFixtureOptions.Default) { }

    private RabbitMqFixture(BrokerFixtureOptions options) => _options = options;

    /// <summary>A fixture that resolves with <paramref name="options"/> (tests of the fixture itself); call <c>InitializeAsync</c> yourself.</summary>
    public static RabbitMqFixture WithOptions(BrokerFixtureOptions options) => new(options);

    /// <summary>Where the broker came from.</summary>
    public BrokerSource Source { get; private set; }

    /// <summary>Why there is no broker; null when there is one.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Whether a broker is there to use.</summary>
    public bool IsAvailable => _amqpUri is not null;

    /// <summary>Whether <see cref="StopAsync"/>, <see cref="StartAsync"/> and <see cref="RestartAsync"/> work (not for a broker named by URL).</summary>
    public bool CanRestart => Source is BrokerSource.LocalProcess or BrokerSource.Testcontainers;

    /// <summary>The node started by this fixture (ports, node name, logs), when <see cref="Source"/> is <see cref="BrokerSource.LocalProcess"/>.</summary>
    public LocalRabbitMqNode? LocalNode { get; private set; }

    /// <summary>
    /// The broker's AMQP URI (with credentials). For a local node it stays the same across restarts; a container's
    /// host port may change on restart, so read it again afterwards.
    /// </summary>
    public Uri AmqpUri => _amqpUri ?? throw new InvalidOperationException(
        $"no RabbitMQ broker: {SkipReason ?? "the fixture was not initialized"}; call SkipIfUnavailable() first");

    /// <summary>Skips the calling test, with the reason, when there is no broker.</summary>
    public void SkipIfUnavailable()
    {
        if (!IsAvailable) Assert.Skip($"RabbitMQ unavailable: {SkipReason ?? "the fixture was not initialized"}");
    }

    public async ValueTask InitializeAsync()
    {
        var serverPath = _options.LocalServerPath ?? LocalRabbitMqNode.DefaultServerPath;
        var plan = BrokerResolution.Decide(
            UrlVariable, _options.ReadEnvironment(UrlVariable), _options.IsDockerEngineReachable,
            serverPath, File.Exists(serverPath), InstallHint);
        Source = plan.Source;
        switch (plan.Source)
        {
            case BrokerSource.EnvironmentUrl:
                _amqpUri = await VerifyExternalBrokerAsync(plan.ExternalUrl!);
                break;
            case BrokerSource.Testcontainers:
                _container = new RabbitMqBuilder(ContainerImage).Build();
                await StartContainerAsync();
                break;
            case BrokerSource.LocalProcess:
                LocalNode = await LocalRabbitMqNode.StartNewAsync(plan.LocalServerPath!, _options.StartupTimeout);
                _amqpUri = LocalNode.AmqpUri;
                break;
            default:
                SkipReason = plan.SkipReason;
                if (Interlocked.Exchange(ref _skipReasonPrinted, 1) == 0)
                    Console.Error.WriteLine($"[{nameof(RabbitMqFixture)}] RabbitMQ tests will be skipped: {SkipReason}");
                break;
        }
    }

    /// <summary>Stops the broker (gracefully: durable queues and persistent messages are kept).</summary>
    public async Task StopAsync()
    {
        if (LocalNode is not null) await LocalNode.StopAsync();
        else if (_container is not null) await _container.StopAsync();
        else throw NotOurs();
    }

    /// <summary>Starts the stopped broker again and waits until it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (LocalNode is not null) await LocalNode.StartAsync(cancellationToken);
        else if (_container is not null) await StartContainerAsync(cancellationToken);
        else throw NotOurs();
    }

    /// <summary>Stops and starts the broker; a local node keeps its port and data directory.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync();
        await StartAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (LocalNode is not null) await LocalNode.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
        LocalNode = null;
        _container = null;
        _amqpUri = null;
    }

    private async Task StartContainerAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartupTimeout);
        await _container!.StartAsync(timeout.Token);
        _amqpUri = new Uri(_container.GetConnectionString());
    }

    private async Task<Uri> VerifyExternalBrokerAsync(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new BrokerFixtureException($"{UrlVariable} '{url}' is not an amqp:// or amqps:// URI");
        var failure = await AmqpProbe.WaitUntilConnectsAsync(uri, _options.ExternalBrokerTimeout);
        if (failure is not null)
            throw new BrokerFixtureException(
                $"{UrlVariable}={AmqpProbe.Redact(uri)} did not accept an AMQP connection within " +
                $"{_options.ExternalBrokerTimeout.TotalSeconds:0} s ({failure.Message}). Start that broker, or unset " +
                $"{UrlVariable} to let the tests start their own.", failure);
        return uri;
    }

    private NotSupportedException NotOurs() => new(
        Source == BrokerSource.EnvironmentUrl
            ? $"the broker named by {UrlVariable} is not the fixture's to stop or start; check CanRestart first"
            : $"no broker to stop or start ({SkipReason ?? "fixture not initialized"})");
}
