using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

/// <summary>How the fixture resolves when the user's choice is wrong or nothing is there; needs no broker.</summary>
public class RabbitMqFixtureResolutionTests
{
    [Fact]
    public async Task A_RABBITMQ_URL_that_does_not_answer_fails_naming_the_url_but_not_its_password()
    {
        var closedPort = FreeLoopbackPorts.Take(1)[0];
        await using var fixture = RabbitMqFixture.WithOptions(new BrokerFixtureOptions
        {
            ReadEnvironment = name => name == RabbitMqFixture.UrlVariable ? $"amqp://app:s3cret@127.0.0.1:{closedPort}/" : null,
            ExternalBrokerTimeout = TimeSpan.FromSeconds(1),
        });

        var error = await Assert.ThrowsAsync<BrokerFixtureException>(() => fixture.InitializeAsync().AsTask());

        Assert.Contains($"RABBITMQ_URL=amqp://app:***@127.0.0.1:{closedPort}/", error.Message);
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Fact]
    public async Task A_RABBITMQ_URL_that_is_not_amqp_is_rejected()
    {
        await using var fixture = RabbitMqFixture.WithOptions(new BrokerFixtureOptions
        {
            ReadEnvironment = name => name == RabbitMqFixture.UrlVariable ? "http://127.0.0.1:15672/" : null,
        });

        var error = await Assert.ThrowsAsync<BrokerFixtureException>(() => fixture.InitializeAsync().AsTask());
        Assert.Contains("not an amqp:// or amqps:// URI", error.Message);
    }

    [Fact]
    public async Task With_no_url_no_Docker_and_no_server_tests_are_skipped_with_the_reason()
    {
        await using var fixture = RabbitMqFixture.WithOptions(new BrokerFixtureOptions
        {
            ReadEnvironment = _ => null,
            IsDockerEngineReachable = () => false,
            LocalServerPath = "/nonexistent/rabbitmq-server",
        });
        await fixture.InitializeAsync();

        Assert.Equal(BrokerSource.Unavailable, fixture.Source);
        Assert.False(fixture.IsAvailable);
        Assert.Equal("no RABBITMQ_URL, no Docker engine, no rabbitmq-server installed at /nonexistent/rabbitmq-server (apt-get install rabbitmq-server)",
            fixture.SkipReason);
        Assert.Contains("SkipIfUnavailable", Assert.Throws<InvalidOperationException>(() => fixture.AmqpUri).Message);
    }
}
