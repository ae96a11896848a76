using Tsuzumi.Gateway.Configuration;

namespace Tsuzumi.Gateway.Authentication;

/// <summary>Who a recognised key speaks for.</summary>
public sealed record ApiKeyIdentity(string Name, string Tenant, bool IsAdmin, RateLimitOptions RateLimit);
