using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Adapters;

/// <summary>No adapter is registered under that id.</summary>
public sealed class UnknownAdapterException(string id) : KeyNotFoundException($"no adapter is registered as '{id}'")
{
    public string AdapterId { get; } = id;
}

/// <summary>What the registry knows about one adapter.</summary>
public sealed record AdapterStatus(string Id, string Directory, bool Loaded, string? Version, long Bytes, int Leases);

/// <summary>
/// Adapters for one base model, by id. Registering is cheap (a path); the weights load on first use and stay
/// resident under a memory budget, least recently used evicted first. A running generation holds a lease, so
/// an adapter evicted or replaced mid-generation is freed only when its last lease ends. Thread-safe.
/// </summary>
public sealed class AdapterRegistry(LlamaConfig baseConfig, long memoryBudgetBytes) : IDisposable
{
    private readonly Dictionary<string, Entry> entries = [];
    private readonly Lock gate = new();
    private long clock;

    /// <summary>Bytes of adapter weights currently loaded (leased or not).</summary>
    public long ResidentBytes
    {
        get { lock (gate) return entries.Values.Sum(entry => entry.Loaded?.Adapter.SizeInBytes ?? 0); }
    }

    public long MemoryBudgetBytes => memoryBudgetBytes;

    /// <summary>
    /// Registers (or re-points) <paramref name="id"/> at a PEFT folder or a llama.cpp <c>.gguf</c> LoRA file; a new
    /// path or content takes effect on the next acquire.
    /// </summary>
    public void Register(string id, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        lock (gate)
        {
            if (entries.TryGetValue(id, out var existing))
            {
                if (existing.Directory == Path.GetFullPath(directory)) return;
                existing.Loaded?.Retire();
                existing.Loaded = null;
            }
            entries[id] = new Entry(id, Path.GetFullPath(directory));
        }
    }

    /// <summary>Forgets <paramref name="id"/>; running leases keep their weights until they end.</summary>
    public bool Unregister(string id)
    {
        lock (gate)
        {
            if (!entries.Remove(id, out var entry)) return false;
            entry.Loaded?.Retire();
            return true;
        }
    }

    public bool Contains(string id)
    {
        lock (gate) return entries.ContainsKey(id);
    }

    /// <summary>Reloads <paramref name="id"/> from its directory on next use when its files changed (new version).</summary>
    public void Refresh(string id)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(id, out var entry)) throw new UnknownAdapterException(id);
            entry.Loaded?.Retire();
            entry.Loaded = null;
        }
    }

    /// <summary>The adapter's weights, loading them if needed; dispose the lease when the generation ends.</summary>
    /// <exception cref="UnknownAdapterException">Nothing is registered as <paramref name="id"/>.</exception>
    /// <exception cref="Formats.ModelFormatException">The adapter's files are broken or do not fit the base model.</exception>
    public AdapterLease Acquire(string id)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(id, out var entry)) throw new UnknownAdapterException(id);
            entry.LastUsed = ++clock;
            if (entry.Loaded is null)
            {
                // Loading under the lock keeps one copy per adapter; adapters are small (a rank-16 adapter on a
                // 0.5B model is ~20 MB) and load in milliseconds.
                entry.Loaded = new LoadedAdapter(LoraAdapter.Load(entry.Directory, baseConfig, id));
                EvictOverBudget(keep: entry);
            }
            return entry.Loaded.Lease();
        }
    }

    public IReadOnlyList<AdapterStatus> Status()
    {
        lock (gate)
        {
            return entries.Values.OrderBy(entry => entry.Id, StringComparer.Ordinal)
                .Select(entry => new AdapterStatus(entry.Id, entry.Directory, entry.Loaded is not null, entry.Loaded?.Adapter.Version,
                    entry.Loaded?.Adapter.SizeInBytes ?? 0, entry.Loaded?.Leases ?? 0))
                .ToArray();
        }
    }

    private void EvictOverBudget(Entry keep)
    {
        var resident = entries.Values.Sum(entry => entry.Loaded?.Adapter.SizeInBytes ?? 0);
        foreach (var victim in entries.Values.Where(entry => entry != keep && entry.Loaded is not null).OrderBy(entry => entry.LastUsed).ToArray())
        {
            if (resident <= memoryBudgetBytes) break;
            resident -= victim.Loaded!.Adapter.SizeInBytes;
            victim.Loaded.Retire();
            victim.Loaded = null;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var entry in entries.Values) entry.Loaded?.Retire();
            entries.Clear();
        }
    }

    private sealed class Entry(string id, string directory)
    {
        public string Id { get; } = id;
        public string Directory { get; } = directory;
        public LoadedAdapter? Loaded { get; set; }
        public long LastUsed { get; set; }
    }

    /// <summary>Reference-counts one loaded version; it is disposed once retired and no lease holds it.</summary>
    internal sealed class LoadedAdapter(LoraAdapter adapter)
    {
        private readonly Lock countLock = new();
        private int leases;
        private bool retired;

        public LoraAdapter Adapter { get; } = adapter;

        public int Leases
        {
            get { lock (countLock) return leases; }
        }

        public AdapterLease Lease()
        {
            lock (countLock) leases++;
            return new AdapterLease(this);
        }

        public void Release()
        {
            lock (countLock)
            {
                leases--;
                if (leases == 0 && retired) Adapter.Dispose();
            }
        }

        public void Retire()
        {
            lock (countLock)
            {
                retired = true;
                if (leases == 0) Adapter.Dispose();
            }
        }
    }
}

/// <summary>Keeps one loaded adapter version alive for the duration of a generation.</summary>
public sealed class AdapterLease : IDisposable
{
    private AdapterRegistry.LoadedAdapter? owner;

    internal AdapterLease(AdapterRegistry.LoadedAdapter owner)
    {
        this.owner = owner;
        Adapter = owner.Adapter;
    }

    public LoraAdapter Adapter { get; }

    public void Dispose() => Interlocked.Exchange(ref owner, null)?.Release();
}
