using Tsuzumi.Testing;

namespace Tsuzumi.Cli.Tests;

/// <summary><c>./tsuzumi pretrain</c> as a real process: Ctrl-C leaves a checkpoint, <c>--resume</c> finishes the model, bad input is one line.</summary>
public sealed class PretrainCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-pretrain-cli-").FullName;
    private readonly string corpus;

    public PretrainCommandTests()
    {
        corpus = Path.Combine(folder, "corpus.txt");
        File.WriteAllText(corpus, string.Join("\n\n", Enumerable.Range(0, 40).Select(i => $"Line {i}: {i % 9} plus {i % 7} is {i % 9 + i % 7}.")));
    }

    private static readonly string Tokenizer = Path.Combine(RepositoryPaths.Root, "models/tsuzumi-nano/tokenizer.json");

    private string[] TinyRun(string output, params string[] extra) =>
    [
        "pretrain", "--corpus", corpus, "--no-qa", "--tokenizer", Tokenizer, "--out", output, "--hidden", "32", "--intermediate", "64", "--layers", "2",
        "--heads", "4", "--kv-heads", "2", "--context", "16", "--batch", "4", "--epochs", "60", "--eval-every", "0", "--checkpoint-every", "0", .. extra,
    ];

    [Fact]
    public async Task Ctrl_C_saves_a_checkpoint_and_resume_finishes_the_model()
    {
        var output = Path.Combine(folder, "model");
        var interrupted = await RunTsuzumi(TinyRun(output), interruptAfterLine: line => line.Contains(" step ", StringComparison.Ordinal));

        Assert.True(interrupted.ExitCode == 130, interrupted.Stderr);
        Assert.Contains("interrupted at step", interrupted.Stderr);
        Assert.True(Directory.Exists(output + ".checkpoint"), interrupted.Stderr);
        Assert.False(Directory.Exists(output));

        var resumed = await RunTsuzumi(TinyRun(output, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "training_report.json")));
        Assert.False(Directory.Exists(output + ".checkpoint"));
    }

    [Fact]
    public async Task A_missing_corpus_an_empty_one_and_impossible_sizes_fail_with_one_line()
    {
        var empty = Path.Combine(folder, "empty.txt");
        File.WriteAllText(empty, "\n\n");
        var output = Path.Combine(folder, "never");

        await AssertFailsWithOneLine(["pretrain", "--corpus", Path.Combine(folder, "absent.txt"), "--no-qa", "--tokenizer", Tokenizer, "--out", output], "absent.txt: file not found");
        await AssertFailsWithOneLine(["pretrain", "--corpus", empty, "--no-qa", "--tokenizer", Tokenizer, "--out", output], "empty");
        await AssertFailsWithOneLine(["pretrain", "--corpus", corpus, "--no-qa", "--tokenizer", Tokenizer, "--out", output, "--hidden", "30"], "not a multiple of the 8 attention heads");
        Assert.False(Directory.Exists(output));
    }

    private static async Task AssertFailsWithOneLine(string[] arguments, string mentions)
    {
        var result = await RunTsuzumi(arguments);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        var lines = new TsuzumiRun(result.ExitCode, "", result.Stderr).CommandErrorLines;
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{result.Stderr}");
        Assert.StartsWith("tsuzumi pretrain: ", lines[0]);
        Assert.Contains(mentions, lines[0], StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<(int ExitCode, string Stderr)> RunTsuzumi(string[] arguments, Func<string, bool>? interruptAfterLine = null)
    {
        var run = await TsuzumiProcess.RunAsync(arguments, TestContext.Current.CancellationToken, interruptAfterLine);
        return (run.ExitCode, run.Stderr);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
