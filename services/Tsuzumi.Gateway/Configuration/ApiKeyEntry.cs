namespace Tsuzumi.Gateway.Configuration;

/// <summary>One API key as configured: never the key itself, only its SHA-256.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Names the key in logs and partitions its rate limit; not secret.</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower- or upper-case hex SHA-256 of the key's UTF-8 bytes (<c>echo -n KEY | sha256sum</c>).</summary>
    public string Sha256 { get; set; } = "";

    public string Tenant { get; set; } = "";

    /// <summary>Only <c>admin</c> is known: it opens <c>/v1/admin/**</c>.</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>This key's own limit; the gateway's <c>DefaultRateLimit</c> when absent.</summary>
    public RateLimitOptions? RateLimit { get; set; }
}
