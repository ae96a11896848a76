using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

public class RedisUrlTests
{
    [Theory]
    [InlineData("redis://127.0.0.1:6380", "127.0.0.1:6380")]
    [InlineData("redis://cache", "cache:6379")]
    [InlineData("redis://:s3cret@cache:6390/2", "cache:6390,password=s3cret,defaultDatabase=2")]
    [InlineData("rediss://app:p%40ss@cache:6391", "cache:6391,user=app,password=p@ss,ssl=true")]
    [InlineData("127.0.0.1:7000,abortConnect=false", "127.0.0.1:7000,abortConnect=false")]
    public void A_redis_url_becomes_a_StackExchange_connection_string(string url, string expected)
    {
        Assert.Equal(expected, RedisUrl.ToConnectionString(url));
    }

    [Theory]
    [InlineData("http://cache:6379", "scheme 'http'")]
    [InlineData("redis://cache:6379/zero", "database 'zero'")]
    public void A_url_that_is_not_redis_is_rejected_with_the_reason(string url, string reason)
    {
        var error = Assert.Throws<BrokerFixtureException>(() => RedisUrl.ToConnectionString(url));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Passwords_are_hidden_in_messages()
    {
        Assert.Equal("redis://***@cache:6379", RedisUrl.Redact("redis://:s3cret@cache:6379"));
        Assert.Equal("cache:6379,password=***", RedisUrl.Redact("cache:6379,password=s3cret"));
    }
}
