using Tsuzumi.Testing;

namespace Tsuzumi.Cli.Tests;

/// <summary>The <c>./tsuzumi</c> script is a contract scripts outside the repository rely on.</summary>
public sealed class EntryPointTests
{
    [Fact]
    public async Task Help_lists_the_verbs()
    {
        var result = await RunTsuzumi("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("doctor", result.Stdout);
    }

    [Fact]
    public async Task Doctor_runs_a_real_libtorch_computation()
    {
        var result = await RunTsuzumi("doctor");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("[58, 64, 139, 154] (ok)", result.Stdout);
    }

    [Fact]
    public async Task An_unknown_verb_fails_with_a_message()
    {
        var result = await RunTsuzumi("no-such-verb");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-verb", result.Stderr + result.Stdout);
    }

    private static Task<TsuzumiRun> RunTsuzumi(params string[] arguments) =>
        TsuzumiProcess.RunAsync(arguments, TestContext.Current.CancellationToken);
}
