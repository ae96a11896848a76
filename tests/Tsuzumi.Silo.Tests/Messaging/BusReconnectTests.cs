using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tsuzumi.Silo.Extensions;

namespace Tsuzumi.Silo.Tests.Messaging;

/// <summary>
/// The silo's bus keeps trying a broker that is gone every <c>Messaging:RabbitMq:ReconnectInterval</c> (decision 0023),
/// not on MassTransit's own backoff, which waits 4.5–7.5 s before its second attempt and up to 30 s later on.
/// </summary>
public sealed class BusReconnectTests
{
    [Fact]
    public async Task With_the_broker_gone_the_bus_tries_again_every_reconnect_interval()
    {
        // Where the broker was: the port accepts and hangs up at once, so every connection attempt is seen and fails.
        using var deadBroker = new TcpListener(IPAddress.Loopback, 0);
        deadBroker.Start();
        var port = ((IPEndPoint)deadBroker.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();
        var attempts = new ConcurrentQueue<TimeSpan>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var listening = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await deadBroker.AcceptSocketAsync(stop.Token);
                attempts.Enqueue(clock.Elapsed);
            }
        }, stop.Token);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = $"amqp://guest:guest@127.0.0.1:{port}/",
            ["Messaging:RabbitMq:ReconnectInterval"] = "00:00:00.500",
        });
        builder.Services.AddSpecialistMessaging(builder.Configuration);
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
        stop.Cancel();
        try { await listening; }
        catch (OperationCanceledException) { }

        var seen = attempts.ToArray();
        Assert.True(seen.Length >= 4, $"only {seen.Length} connection attempts in 10 s");
        var gaps = seen.Zip(seen.Skip(1), (earlier, later) => later - earlier).ToArray();
        var longestGap = gaps.Max();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{seen.Length} attempts in 10 s, at {string.Join(", ", seen.Select(at => $"{at.TotalSeconds:0.0}"))} s; longest gap {longestGap.TotalSeconds:0.0} s");
        Assert.True(longestGap < TimeSpan.FromSeconds(4.5), $"the bus waited {longestGap.TotalSeconds:0.0} s between two attempts");
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:02:00")]
    [InlineData("soon")]
    public void A_bad_reconnect_interval_fails_at_startup_naming_the_setting(string interval)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = "amqp://guest:guest@127.0.0.1:5672/",
            ["Messaging:RabbitMq:ReconnectInterval"] = interval,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSpecialistMessaging(configuration));

        Assert.Contains("Messaging:RabbitMq:ReconnectInterval", error.Message);
    }
}
