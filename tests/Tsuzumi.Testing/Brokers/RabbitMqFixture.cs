using Testcontainers.RabbitMq;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A RabbitMQ broker for tests, as an xunit v3 class, collection or assembly fixture. Resolved in this order:
/// <c>RABBITMQ_URL</c> (must answer, else the fixture fails), Testcontainers when a Docker engine answers, the
/// locally installed rabbitmq-server on free loopback ports, else unavailable — tests then call
/// <c>SkipIfUnavailable</c>. Why this order: docs/decisions/0002-test-brokers.md. Stopping is graceful: durable
/// queues and persistent messages are kept.
/// </summary>
public sealed class RabbitMqFixture : BrokerFixture<LocalRabbitMqNode, RabbitMqContainer, Uri>
{
    /// <summary>The variable naming a broker the user wants the tests to use.</summary>
    public const string UrlVariable = "RABBITMQ_URL";

    /// <summary>What to install so the tests run without Docker.</summary>
    public const string InstallHint = "apt-get install rabbitmq-server";

    /// <summary>The image used when a Docker engine is reachable.</summary>
    public const string ContainerImage = "rabbitmq:3.13-alpine";

    /// <summary>The fixture xunit creates: real environment, Docker probe and installed server.</summary>
    public RabbitMqFixture() : this(BrokerFixtureOptions.Default) { }

    private RabbitMqFixture(BrokerFixtureOptions options) : base(options) { }

    /// <summary>A fixture that resolves with <paramref name="options"/> (tests of the fixture itself); call <c>InitializeAsync</c> yourself.</summary>
    public static RabbitMqFixture WithOptions(BrokerFixtureOptions options) => new(options);

    /// <summary>The node started by this fixture (ports, node name, logs), when <c>Source</c> is <see cref="BrokerSource.LocalProcess"/>.</summary>
    public LocalRabbitMqNode? LocalNode => Local;

    /// <summary>
    /// The broker's AMQP URI (with credentials). For a local node it stays the same across restarts; a container's
    /// host port may change on restart, so read it again afterwards.
    /// </summary>
    public Uri AmqpUri => RequireEndpoint();

    private protected override string ProductName => "RabbitMQ";
    private protected override string Noun => "broker";
    private protected override string UrlVariableName => UrlVariable;
    private protected override string InstallHintText => InstallHint;
    private protected override string DefaultLocalServerPath => LocalRabbitMqNode.DefaultServerPath;

    private protected override RabbitMqContainer BuildContainer() => new RabbitMqBuilder(ContainerImage).Build();

    private protected override Uri ContainerEndpoint(RabbitMqContainer container) => new(container.GetConnectionString());

    private protected override Uri LocalEndpoint(LocalRabbitMqNode local) => local.AmqpUri;

    private protected override Task<LocalRabbitMqNode> StartLocalServerAsync(string serverPath, TimeSpan startupTimeout) =>
        LocalRabbitMqNode.StartNewAsync(serverPath, startupTimeout);

    private protected override async Task<Uri> VerifyExternalBrokerAsync(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new BrokerFixtureException($"{UrlVariable} '{url}' is not an amqp:// or amqps:// URI");
        var failure = await AmqpProbe.WaitUntilConnectsAsync(uri, Options.ExternalBrokerTimeout);
        if (failure is not null)
            throw new BrokerFixtureException(
                $"{UrlVariable}={AmqpProbe.Redact(uri)} did not accept an AMQP connection within " +
                $"{Options.ExternalBrokerTimeout.TotalSeconds:0} s ({failure.Message}). Start that broker, or unset " +
                $"{UrlVariable} to let the tests start their own.", failure);
        return uri;
    }
}
