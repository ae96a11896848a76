namespace Tsuzumi.Catalog.Tests;

public sealed class CatalogMonitorTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly CatalogFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Editing_the_file_swaps_in_the_new_catalog_without_a_restart()
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")));
        using var monitor = new CatalogMonitor(path, _ => { });
        var changed = new TaskCompletionSource<ConstellationCatalog>(TaskCreationOptions.RunContinuationsAsynchronously);
        monitor.Changed += catalog => changed.TrySetResult(catalog);

        folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general"), CatalogFolder.Specialist("finance")));

        var reloaded = await changed.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(["general", "finance"], reloaded.Specialists.Select(specialist => specialist.Id));
        Assert.Same(reloaded, monitor.Current);
    }

    [Fact]
    public async Task A_broken_edit_keeps_the_last_good_catalog_and_says_why()
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")));
        var problems = new List<CatalogProblem>();
        using var monitor = new CatalogMonitor(path, problem => { lock (problems) problems.Add(problem); });
        var before = monitor.Current;

        folder.Write("{ this is not json");

        await WaitUntil(() => { lock (problems) return problems.Count > 0; });
        Assert.Same(before, monitor.Current);
        lock (problems) Assert.Contains("previous catalog keeps serving", problems[0].Reason);
    }

    [Fact]
    public void An_invalid_entry_is_reported_at_load_and_the_rest_is_served()
    {
        var problems = new List<CatalogProblem>();
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general"), """{"id": "broken"}"""));

        using var monitor = new CatalogMonitor(path, problems.Add);

        Assert.Equal(["general"], monitor.Current.Specialists.Select(specialist => specialist.Id));
        Assert.Contains(problems, problem => problem.Entry!.Contains("broken"));
    }

    [Fact]
    public void Reloading_an_unchanged_file_is_not_a_change()
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")));
        using var monitor = new CatalogMonitor(path, _ => { });
        var changes = 0;
        monitor.Changed += _ => changes++;

        Assert.False(monitor.Reload());
        Assert.Equal(0, changes);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the monitor did not react in time");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
