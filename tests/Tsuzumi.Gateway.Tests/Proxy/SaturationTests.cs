using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tsuzumi.Gateway.Tests.Proxy;

/// <summary>A bounded burst of concurrent clients: past the key's limit the answer is 429 with Retry-After, never a 5xx or a dropped connection.</summary>
public sealed class SaturationTests
{
    [Fact]
    public async Task Forty_clients_for_three_seconds_get_only_200_or_429_and_the_gateway_stays_ready()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var router = await EchoUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartReadyAsync([router], new Dictionary<string, string?>
        {
            ["Gateway:ApiKeys:0:RateLimit:Burst"] = "50",
            ["Gateway:ApiKeys:0:RateLimit:Refill"] = "10",
            ["Gateway:ApiKeys:0:RateLimit:RefillPeriod"] = "00:00:00.100",
        });
        using var client = gateway.Client(TestKeys.AcmeUser);
        var outcomes = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                string outcome;
                try
                {
                    using var response = await client.PostAsJsonAsync("v1/ask", new { query = "What is NISA?" }, cancellation);
                    outcome = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Assert.NotNull(response.Headers.RetryAfter?.Delta);
                        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                        await Task.Delay(20, cancellation);
                    }
                }
                catch (HttpRequestException exception)
                {
                    outcome = exception.GetType().Name;
                }
                outcomes.AddOrUpdate(outcome, 1, (_, count) => count + 1);
            }
        }, cancellation)));

        var summary = string.Join(", ", outcomes.Select(outcome => $"{outcome.Key}: {outcome.Value}"));
        Assert.True(outcomes.Keys.All(outcome => outcome is "200" or "429"), summary);
        Assert.True(outcomes.GetValueOrDefault("200") >= 50, summary);
        Assert.True(outcomes.GetValueOrDefault("429") > 0, summary);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/ready", cancellation)).StatusCode);
    }
}
