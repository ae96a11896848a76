using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

public sealed class ChildProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tsuzumi-child-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Output_and_errors_are_captured_in_the_log_file()
    {
        var child = Start("echo to-stdout; echo to-stderr >&2");

        await WaitUntilAsync(() => child.HasExited);
        await child.DisposeAsync();

        var log = File.ReadAllText(child.LogPath);
        Assert.Contains("to-stdout", log);
        Assert.Contains("to-stderr", log);
    }

    [Fact]
    public async Task Stopping_a_child_also_ends_the_process_it_left_running()
    {
        // sh dies on SIGTERM at once and would orphan its background sleep.
        var child = Start("sleep 600 & echo grandchild=$!; wait");
        var grandchild = await ReadGrandchildAsync(child);
        Assert.True(IsRunning(grandchild));

        Assert.True(await child.StopAsync(TimeSpan.FromSeconds(10)));
        await child.DisposeAsync();

        await WaitUntilAsync(() => !IsRunning(grandchild));
    }

    [Fact]
    public async Task A_child_that_ignores_SIGTERM_is_killed_with_its_tree_after_the_grace_period()
    {
        var child = Start("trap '' TERM; sleep 600 & echo grandchild=$!; wait");
        var grandchild = await ReadGrandchildAsync(child);

        var graceful = await child.StopAsync(TimeSpan.FromMilliseconds(500));
        await child.DisposeAsync();

        Assert.False(graceful);
        Assert.True(child.HasExited);
        await WaitUntilAsync(() => !IsRunning(grandchild));
    }

    private ChildProcess Start(string script) => ChildProcess.Start(
        "/bin/sh", ["-c", script], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
        _directory, Path.Combine(_directory, $"{Guid.NewGuid():N}.log"));

    private static async Task<int> ReadGrandchildAsync(ChildProcess child)
    {
        var id = 0;
        await WaitUntilAsync(() =>
        {
            var line = LogTail.Read(child.LogPath).Split('\n').FirstOrDefault(text => text.StartsWith("grandchild=", StringComparison.Ordinal));
            return line is not null && int.TryParse(line["grandchild=".Length..], out id);
        });
        return id;
    }

    // A zombie still has a /proc entry; only a live process counts as running.
    private static bool IsRunning(int id) =>
        File.Exists($"/proc/{id}/stat") && File.ReadAllText($"/proc/{id}/stat") is var stat && stat[(stat.LastIndexOf(')') + 2)] != 'Z';

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("condition not met within 10 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
