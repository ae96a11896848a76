namespace Tsuzumi.Benchmarks.Bus;

/// <summary>The answer of the bus round-trip benchmark's trivial responder.</summary>
public sealed record BusPong(int Sequence);
