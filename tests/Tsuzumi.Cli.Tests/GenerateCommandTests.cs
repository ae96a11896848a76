using System.Diagnostics;
using Tsuzumi.Testing;

namespace Tsuzumi.Cli.Tests;

/// <summary><c>./tsuzumi generate</c> run as users run it: a real process, text on stdout, statistics and errors on stderr.</summary>
public sealed class GenerateCommandTests
{
    private const string Stories = "models/stories260K/stories260K.gguf";

    [Fact]
    public async Task Greedy_stories260K_prints_llama2c_published_output_exactly()
    {
        var model = RepositoryPaths.RequireSharedFile(Stories);
        var expected = await File.ReadAllTextAsync(
            RepositoryPaths.RequireSharedFile("models/stories260K/expected/llama2c_test_all_expected_stdout.txt"), TestContext.Current.CancellationToken);

        var result = await RunTsuzumi("generate", "--model", model, "--prompt", "", "--max-tokens", "200", "--temperature", "0");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(expected, result.Stdout);
        Assert.Contains("generated 200 tokens", result.Stderr);
        Assert.Contains("tok/s", result.Stderr);
    }

    [Fact]
    public async Task A_seeded_sampled_run_repeats_and_another_seed_differs()
    {
        var model = RepositoryPaths.RequireSharedFile(Stories);
        string[] Arguments(string seed) =>
            ["generate", "--model", model, "--prompt", "Once upon a time", "--max-tokens", "40", "--temperature", "1", "--top-p", "0.9", "--seed", seed];

        var first = await RunTsuzumi(Arguments("133742"));
        var again = await RunTsuzumi(Arguments("133742"));
        var other = await RunTsuzumi(Arguments("7"));

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.NotEmpty(first.Stdout);
        Assert.Equal(first.Stdout, again.Stdout);
        Assert.NotEqual(first.Stdout, other.Stdout);
    }

    [Fact]
    public async Task A_stop_string_ends_the_output_before_it()
    {
        var model = RepositoryPaths.RequireSharedFile(Stories);
        var result = await RunTsuzumi("generate", "--model", model, "--max-tokens", "200", "--temperature", "0", "--stop", "Lily");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("Once upon a time, there was a little girl named ", result.Stdout);
        Assert.Contains("finish: StopString", result.Stderr);
    }

    [Fact]
    public async Task A_missing_file_a_corrupt_gguf_and_a_folder_without_config_fail_with_one_line()
    {
        using var folder = new TemporaryFolder();
        var corrupt = Path.Combine(folder.Path, "corrupt.gguf");
        var stories = RepositoryPaths.RequireSharedFile(Stories);
        // A real header cut off inside the metadata.
        await File.WriteAllBytesAsync(corrupt, (await File.ReadAllBytesAsync(stories, TestContext.Current.CancellationToken))[..200], TestContext.Current.CancellationToken);
        var emptyFolder = Directory.CreateDirectory(Path.Combine(folder.Path, "not-a-model")).FullName;

        await AssertFailsWithOneLine(["generate", "--model", Path.Combine(folder.Path, "absent.gguf")], "absent.gguf");
        await AssertFailsWithOneLine(["generate", "--model", corrupt], "corrupt.gguf");
        await AssertFailsWithOneLine(["generate", "--model", emptyFolder], "config.json");
    }

    [Fact]
    public async Task Bad_options_fail_with_a_clear_message()
    {
        var model = RepositoryPaths.RequireSharedFile(Stories);
        await AssertFailsWithOneLine(["generate", "--model", model, "--max-tokens=-3"], "--max-tokens");
        await AssertFailsWithOneLine(["generate", "--model", model, "--temperature=-1"], "temperature");

        // Parse errors come from System.CommandLine: its message leads stderr, the usage text follows on stdout.
        foreach (var arguments in new[] { new[] { "generate", "--model", model, "--dtype", "fp64" }, ["generate", "--model", model, "--max-tokens", "-3"] })
        {
            var result = await RunTsuzumi(arguments);
            Assert.NotEqual(0, result.ExitCode);
            var firstLine = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
            Assert.True(firstLine.Contains("fp64") || firstLine.Contains("--max-tokens"), result.Stderr);
            Assert.DoesNotContain("   at ", result.Stderr);
        }
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_window_fails_before_generating()
    {
        var model = RepositoryPaths.RequireSharedFile(Stories);
        var prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a dog. ", 400)); // > 2048 tokens

        var result = await AssertFailsWithOneLine(["generate", "--model", model, "--prompt", prompt, "--max-tokens", "5"], "context");
        Assert.Equal("", result.Stdout);
    }

    private static async Task<TsuzumiRun> AssertFailsWithOneLine(string[] arguments, string mentions)
    {
        var result = await RunTsuzumi(arguments);
        Assert.True(result.ExitCode != 0, $"exit 0 for {string.Join(' ', arguments)}");
        // The script announces a first build on stderr; that line is the script's, not the command's.
        var lines = result.CommandErrorLines;
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{result.Stderr}");
        Assert.StartsWith("tsuzumi generate: ", lines[0]);
        Assert.Contains(mentions, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception", lines[0]);
        return result;
    }

    private static Task<TsuzumiRun> RunTsuzumi(params string[] arguments) =>
        TsuzumiProcess.RunAsync(arguments, TestContext.Current.CancellationToken);

    /// <summary>A temporary folder deleted at the end of a test.</summary>
    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("tsuzumi-cli-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
