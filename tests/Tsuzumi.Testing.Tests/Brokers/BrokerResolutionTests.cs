using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

public class BrokerResolutionTests
{
    private const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    [Fact]
    public void A_broker_url_wins_without_probing_Docker()
    {
        var probed = false;
        var plan = BrokerResolution.Decide("RABBITMQ_URL", " amqp://guest:guest@broker:5672/ ",
            () => probed = true, Server, isLocalServerInstalled: true, "apt-get install rabbitmq-server");

        Assert.Equal(BrokerSource.EnvironmentUrl, plan.Source);
        Assert.Equal("amqp://guest:guest@broker:5672/", plan.ExternalUrl);
        Assert.False(probed);
        Assert.Null(plan.SkipReason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_url_counts_as_unset_and_a_reachable_Docker_engine_is_used(string? url)
    {
        var plan = BrokerResolution.Decide("RABBITMQ_URL", url, () => true, Server, isLocalServerInstalled: true, "hint");

        Assert.Equal(BrokerSource.Testcontainers, plan.Source);
        Assert.Null(plan.LocalServerPath);
    }

    [Fact]
    public void Without_Docker_the_installed_server_is_started()
    {
        var plan = BrokerResolution.Decide("REDIS_URL", null, () => false, "/usr/bin/redis-server", isLocalServerInstalled: true, "hint");

        Assert.Equal(BrokerSource.LocalProcess, plan.Source);
        Assert.Equal("/usr/bin/redis-server", plan.LocalServerPath);
    }

    [Fact]
    public void With_nothing_available_the_skip_reason_names_every_option_and_the_install_command()
    {
        var plan = BrokerResolution.Decide("RABBITMQ_URL", null, () => false, Server, isLocalServerInstalled: false, "apt-get install rabbitmq-server");

        Assert.Equal(BrokerSource.Unavailable, plan.Source);
        Assert.Equal(
            $"no RABBITMQ_URL, no Docker engine, no rabbitmq-server installed at {Server} (apt-get install rabbitmq-server)",
            plan.SkipReason);
    }
}
