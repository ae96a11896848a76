using StackExchange.Redis;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

/// <summary>Against a real server from <see cref="RedisFixture"/>; skipped, with the reason, where none can be had.</summary>
public class RedisFixtureTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task A_value_set_is_read_back()
    {
        redis.SkipIfUnavailable();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var database = connection.GetDatabase();
        var key = $"greeting-{Guid.NewGuid():N}";

        Assert.True(await database.StringSetAsync(key, "鼓 tsuzumi"));
        Assert.Equal("鼓 tsuzumi", (string?)await database.StringGetAsync(key));
    }

    [Fact]
    public async Task A_restarted_server_is_down_while_stopped_then_answers_on_the_same_connection_string()
    {
        redis.SkipIfUnavailable();
        if (!redis.CanRestart) Assert.Skip($"the server came from {redis.Source} and is not the fixture's to restart");
        var before = redis.ConnectionString;

        await redis.StopAsync();
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(before + ",connectTimeout=1000"));
        await redis.StartAsync(TestContext.Current.CancellationToken);

        if (redis.Source == BrokerSource.LocalProcess) Assert.Equal(before, redis.ConnectionString);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.True(await connection.GetDatabase().StringSetAsync("after-restart", "yes"));
    }

    [Fact]
    public async Task Two_fixtures_at_once_get_different_ports_and_separate_data()
    {
        redis.SkipIfUnavailable();
        if (redis.Source != BrokerSource.LocalProcess) Assert.Skip($"only local servers are started per fixture (this one: {redis.Source})");
        await using var second = new RedisFixture();
        await second.InitializeAsync();

        Assert.NotEqual(redis.LocalServer!.Port, second.LocalServer!.Port);
        var key = $"only-on-first-{Guid.NewGuid():N}";
        await using var first = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var other = await ConnectionMultiplexer.ConnectAsync(second.ConnectionString);
        await first.GetDatabase().StringSetAsync(key, "1");
        Assert.False(await other.GetDatabase().KeyExistsAsync(key));
    }

    [Fact]
    public async Task A_server_named_by_REDIS_URL_is_used_as_it_is()
    {
        redis.SkipIfUnavailable();
        await using var named = RedisFixture.WithOptions(new BrokerFixtureOptions
        {
            ReadEnvironment = name => name == RedisFixture.UrlVariable ? $"redis://{redis.ConnectionString}" : null,
            IsDockerEngineReachable = () => throw new InvalidOperationException("Docker must not be probed when a URL is set"),
        });
        await named.InitializeAsync();

        Assert.Equal(BrokerSource.EnvironmentUrl, named.Source);
        Assert.Equal(redis.ConnectionString, named.ConnectionString);
        Assert.False(named.CanRestart);
        await Assert.ThrowsAsync<NotSupportedException>(named.StopAsync);
    }

    [Fact]
    public async Task A_REDIS_URL_that_does_not_answer_fails_naming_the_url()
    {
        var closedPort = FreeLoopbackPorts.Take(1)[0];
        await using var named = RedisFixture.WithOptions(new BrokerFixtureOptions
        {
            ReadEnvironment = name => name == RedisFixture.UrlVariable ? $"redis://127.0.0.1:{closedPort}" : null,
            ExternalBrokerTimeout = TimeSpan.FromSeconds(1),
        });

        var error = await Assert.ThrowsAsync<BrokerFixtureException>(() => named.InitializeAsync().AsTask());
        Assert.Contains($"REDIS_URL=redis://127.0.0.1:{closedPort} did not answer", error.Message);
    }
}
