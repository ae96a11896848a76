using Tsuzumi.Gateway.Authentication;

namespace Tsuzumi.Gateway.Tests.Support;

/// <summary>
/// The keys the tests present; configuration gets only their SHA-256. acme has a user and an admin key; globex has a
/// key with a tiny limit (2 requests, then one more a minute).
/// </summary>
public static class TestKeys
{
    public const string AcmeUser = "tsk-acme-user-8c1f0e";
    public const string AcmeAdmin = "tsk-acme-admin-51d2aa";
    public const string GlobexLimited = "tsk-globex-limited-7e33";

    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:ApiKeys:0:Name"] = "acme-user",
        ["Gateway:ApiKeys:0:Sha256"] = ApiKeyRegistry.HashOf(AcmeUser),
        ["Gateway:ApiKeys:0:Tenant"] = "acme",
        ["Gateway:ApiKeys:1:Name"] = "acme-admin",
        ["Gateway:ApiKeys:1:Sha256"] = ApiKeyRegistry.HashOf(AcmeAdmin),
        ["Gateway:ApiKeys:1:Tenant"] = "acme",
        ["Gateway:ApiKeys:1:Roles:0"] = "admin",
        ["Gateway:ApiKeys:2:Name"] = "globex-limited",
        ["Gateway:ApiKeys:2:Sha256"] = ApiKeyRegistry.HashOf(GlobexLimited),
        ["Gateway:ApiKeys:2:Tenant"] = "globex",
        ["Gateway:ApiKeys:2:RateLimit:Burst"] = "2",
        ["Gateway:ApiKeys:2:RateLimit:Refill"] = "1",
        ["Gateway:ApiKeys:2:RateLimit:RefillPeriod"] = "00:01:00",
    };
}
