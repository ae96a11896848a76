namespace Tsuzumi.Nano;

/// <summary>
/// SplitMix64: a tiny generator whose sequence is fixed by its seed on every runtime, so generated data is reproducible
/// byte for byte (System.Random's algorithm is an implementation detail). Hand-written: it is ten lines.
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, exclusiveMax).</summary>
    public int Next(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        return (int)(NextUInt64() % (ulong)exclusiveMax);
    }

    /// <summary>A value in [inclusiveMin, exclusiveMax).</summary>
    public int Next(int inclusiveMin, int exclusiveMax) => inclusiveMin + Next(exclusiveMax - inclusiveMin);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator for a named sub-stream, so adding data to one file does not reshuffle the others.</summary>
    public static SeededRandom For(int seed, string stream)
    {
        var hash = 14695981039346656037UL; // FNV-1a: stable across runs, unlike string.GetHashCode.
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(stream)) hash = (hash ^ b) * 1099511628211UL;
        return new SeededRandom(hash ^ (ulong)(uint)seed);
    }
}
