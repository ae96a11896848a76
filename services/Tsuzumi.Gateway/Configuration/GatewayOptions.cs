namespace Tsuzumi.Gateway.Configuration;

/// <summary>The <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>API keys given in configuration (hashes only). With none here and no <see cref="ApiKeysFile"/>, the
    /// gateway serves tenant <c>public</c> on loopback only.</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    /// <summary>A mounted secret holding <c>{ "ApiKeys": [ … ] }</c> in the same shape; read once at startup.</summary>
    public string? ApiKeysFile { get; set; }

    /// <summary>Limit for keys that do not name their own.</summary>
    public RateLimitOptions DefaultRateLimit { get; set; } = new() { Burst = 60, Refill = 30, RefillPeriod = TimeSpan.FromSeconds(1) };

    /// <summary>Limit per client address for requests without a recognised key (the no-keys mode, or a wrong key).</summary>
    public RateLimitOptions AnonymousRateLimit { get; set; } = new() { Burst = 200, Refill = 100, RefillPeriod = TimeSpan.FromSeconds(1) };

    /// <summary>Largest request body accepted; larger ones get 413 before anything reaches the router.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long shutdown waits for in-flight requests (streams included) to finish.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
