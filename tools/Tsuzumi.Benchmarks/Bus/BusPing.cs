namespace Tsuzumi.Benchmarks.Bus;

/// <summary>The request of the bus round-trip benchmark: as small as a message gets, so only the bus is measured.</summary>
public sealed record BusPing(int Sequence);
