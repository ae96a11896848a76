using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Tsuzumi.Router.Tests.FanOut;

/// <summary>The router's reconnect interval to RabbitMQ (decision 0023) is checked when the router is registered, before any connection.</summary>
public sealed class BusReconnectSettingTests
{
    [Theory]
    [InlineData("00:00:00.010")]
    [InlineData("00:05:00")]
    [InlineData("-00:00:02")]
    [InlineData("two seconds")]
    public void A_bad_reconnect_interval_fails_at_startup_naming_the_setting(string interval)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = "amqp://guest:guest@127.0.0.1:5672/",
            ["Messaging:RabbitMq:ReconnectInterval"] = interval,
            ["Orleans:Client:Enabled"] = "false",
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddRouterServices());

        Assert.Contains("Messaging:RabbitMq:ReconnectInterval", error.Message);
    }
}
