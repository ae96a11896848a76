using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Tsuzumi.Gateway.Authentication;
using Tsuzumi.Gateway.Configuration;
using Tsuzumi.Gateway.Errors;

namespace Tsuzumi.Gateway.RateLimiting;

/// <summary>
/// A token bucket per API key (its own limit or the default), and one per client address for callers without a
/// recognised key. Rejections are 429 problem+json with <c>Retry-After</c> in whole seconds.
/// </summary>
internal static class PerKeyRateLimits
{
    public const string PolicyName = "per-key";

    public static void Configure(RateLimiterOptions options, ApiKeyRegistry registry, GatewayOptions gateway)
    {
        var limits = registry.Identities.ToDictionary(identity => identity.Name, identity => identity.RateLimit, StringComparer.Ordinal);
        options.AddPolicy(PolicyName, context =>
        {
            var keyName = context.User.FindFirstValue(GatewayClaims.KeyName);
            return keyName is not null && limits.TryGetValue(keyName, out var limit)
                ? RateLimitPartition.GetTokenBucketLimiter("key:" + keyName, _ => Bucket(limit))
                : RateLimitPartition.GetTokenBucketLimiter("address:" + context.Connection.RemoteIpAddress, _ => Bucket(gateway.AnonymousRateLimit));
        });
        options.OnRejected = async (rejected, _) =>
        {
            var context = rejected.HttpContext;
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await GatewayProblems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too Many Requests",
                $"The request rate of this key (or, without one, of this client address) is exhausted; retry after {seconds} s.");
        };
    }

    private static TokenBucketRateLimiterOptions Bucket(RateLimitOptions limit) => new()
    {
        TokenLimit = limit.Burst,
        TokensPerPeriod = limit.Refill,
        ReplenishmentPeriod = limit.RefillPeriod,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
