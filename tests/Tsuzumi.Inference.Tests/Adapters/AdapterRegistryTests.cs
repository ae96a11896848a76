using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Model;

namespace Tsuzumi.Inference.Tests.Adapters;

public sealed class AdapterRegistryTests : IDisposable
{
    private readonly LlamaConfig config = SyntheticCheckpoint.SmallConfig();
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-registry-").FullName;

    [Fact]
    public void Adapters_load_on_first_use_and_are_shared_while_resident()
    {
        using var registry = new AdapterRegistry(config, long.MaxValue);
        registry.Register("finance", Save("finance", seed: 1));

        Assert.False(registry.Status().Single().Loaded);
        using var first = registry.Acquire("finance");
        using var second = registry.Acquire("finance");
        Assert.Same(first.Adapter, second.Adapter);
        Assert.True(registry.Status().Single().Loaded);
        Assert.Equal(2, registry.Status().Single().Leases);
    }

    [Fact]
    public void Over_the_budget_the_least_recently_used_adapter_is_evicted()
    {
        using var probe = SyntheticAdapter.Create(config, "probe", targets: ["q_proj"]);
        using var registry = new AdapterRegistry(config, memoryBudgetBytes: probe.SizeInBytes * 2);
        foreach (var id in new[] { "a", "b", "c" }) registry.Register(id, Save(id, seed: id[0]));

        registry.Acquire("a").Dispose();
        registry.Acquire("b").Dispose();
        registry.Acquire("a").Dispose(); // a is now more recent than b
        registry.Acquire("c").Dispose();

        var loaded = registry.Status().Where(status => status.Loaded).Select(status => status.Id).ToArray();
        Assert.Equal(["a", "c"], loaded);
        Assert.True(registry.ResidentBytes <= registry.MemoryBudgetBytes);
    }

    [Fact]
    public void An_adapter_evicted_while_leased_stays_usable_until_the_lease_ends()
    {
        using var probe = SyntheticAdapter.Create(config, "probe", targets: ["q_proj"]);
        using var registry = new AdapterRegistry(config, memoryBudgetBytes: probe.SizeInBytes);
        registry.Register("a", Save("a", seed: 1));
        registry.Register("b", Save("b", seed: 2));

        var lease = registry.Acquire("a");
        registry.Acquire("b").Dispose(); // evicts a from the registry
        Assert.False(lease.Adapter.IsDisposed);
        Assert.NotEmpty(lease.Adapter.Pairs.First().Value.A.data<float>().ToArray());
        lease.Dispose();
        Assert.True(lease.Adapter.IsDisposed);
    }

    [Fact]
    public void Re_registering_with_new_files_serves_the_new_version_to_new_requests_only()
    {
        using var registry = new AdapterRegistry(config, long.MaxValue);
        registry.Register("finance", Save("v1", seed: 1));
        using var old = registry.Acquire("finance");

        registry.Register("finance", Save("v2", seed: 2));
        using var current = registry.Acquire("finance");

        Assert.NotEqual(old.Adapter.Version, current.Adapter.Version);
        Assert.False(old.Adapter.IsDisposed);
    }

    [Fact]
    public void An_unknown_id_is_a_typed_error()
    {
        using var registry = new AdapterRegistry(config, long.MaxValue);

        var error = Assert.Throws<UnknownAdapterException>(() => registry.Acquire("nobody"));
        Assert.Equal("nobody", error.AdapterId);
    }

    [Fact]
    public void A_broken_adapter_fails_its_acquire_and_leaves_the_others_serving()
    {
        using var registry = new AdapterRegistry(config, long.MaxValue);
        registry.Register("good", Save("good", seed: 1));
        var broken = Save("broken", seed: 2);
        File.WriteAllText(Path.Combine(broken, PeftAdapterFormat.WeightsFileName), "garbage");
        registry.Register("broken", broken);

        Assert.Throws<Tsuzumi.Inference.Formats.ModelFormatException>(() => registry.Acquire("broken"));
        using var good = registry.Acquire("good");
        Assert.NotEmpty(good.Adapter.Pairs);
    }

    [Fact]
    public void Concurrent_acquires_load_one_copy()
    {
        using var registry = new AdapterRegistry(config, long.MaxValue);
        registry.Register("finance", Save("finance", seed: 1));

        var leases = Enumerable.Range(0, 16).AsParallel().Select(_ => registry.Acquire("finance")).ToArray();

        Assert.Single(leases.Select(lease => lease.Adapter).Distinct());
        foreach (var lease in leases) lease.Dispose();
    }

    private string Save(string name, int seed)
    {
        using var adapter = SyntheticAdapter.Create(config, name, rank: 4, seed: seed, targets: ["q_proj"]);
        var directory = Path.Combine(folder, name);
        PeftAdapterFormat.Save(adapter, directory);
        return directory;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
