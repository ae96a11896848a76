namespace Tsuzumi.Gateway.Configuration;

/// <summary>A token bucket: <see cref="Burst"/> requests at once, refilled by <see cref="Refill"/> every <see cref="RefillPeriod"/>.</summary>
public sealed class RateLimitOptions
{
    public int Burst { get; set; }
    public int Refill { get; set; }
    public TimeSpan RefillPeriod { get; set; } = TimeSpan.FromSeconds(1);

    internal string? Problem() =>
        Burst < 1 ? "Burst must be at least 1"
        : Refill < 1 ? "Refill must be at least 1"
        : RefillPeriod <= TimeSpan.Zero ? "RefillPeriod must be positive"
        : null;
}
