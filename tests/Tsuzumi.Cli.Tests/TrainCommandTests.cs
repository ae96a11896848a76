using Tsuzumi.Testing;

namespace Tsuzumi.Cli.Tests;

/// <summary><c>./tsuzumi train</c> as a real process: Ctrl-C leaves a checkpoint, <c>--resume</c> finishes, bad data is one line.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-train-cli-").FullName;
    private readonly string model = RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
    private static readonly string Facts = Path.Combine(RepositoryPaths.Root, "tests/Tsuzumi.Inference.Tests/Training/Data/stories-facts.jsonl");

    private string[] Arguments(string data, string output, params string[] extra) =>
        ["train", "--model", model, "--data", data, "--out", output, "--rank", "4", "--alpha", "8", "--targets", "q,v",
         "--epochs", "40", "--batch", "4", "--eval-fraction", "0", .. extra];

    [Fact]
    public async Task Ctrl_C_saves_a_checkpoint_and_resume_finishes_the_adapter()
    {
        var output = Path.Combine(folder, "adapter");
        var interrupted = await TsuzumiProcess.RunAsync(Arguments(Facts, output), TestContext.Current.CancellationToken,
            interruptAfterStderrLine: line => line.Contains(" step ", StringComparison.Ordinal));

        Assert.True(interrupted.ExitCode == 130, interrupted.Stderr);
        Assert.Contains("interrupted at step", interrupted.Stderr);
        Assert.True(Directory.Exists(output + ".checkpoint"), interrupted.Stderr);
        Assert.False(Directory.Exists(output));

        var resumed = await TsuzumiProcess.RunAsync(Arguments(Facts, output, "--resume"), TestContext.Current.CancellationToken);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "loss_curve.svg")));
        Assert.False(Directory.Exists(output + ".checkpoint"));
    }

    [Fact]
    public async Task A_malformed_line_fails_with_one_line_naming_file_and_line_and_writes_nothing()
    {
        var data = Path.Combine(folder, "broken.jsonl");
        File.WriteAllLines(data, ["""{"prompt": "Q: a\nA:", "completion": " b"}""", """{"prompt": "Q: c\nA:" "completion": " d"}"""]);
        var output = Path.Combine(folder, "never");

        var run = await TsuzumiProcess.RunAsync(Arguments(data, output), TestContext.Current.CancellationToken);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.CommandErrorLines);
        Assert.StartsWith($"tsuzumi train: {data}:2:", line);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task A_missing_rehearsal_corpus_is_named_and_nothing_is_written()
    {
        var corpus = Path.Combine(folder, "no-corpus");
        var output = Path.Combine(folder, "never");

        var run = await TsuzumiProcess.RunAsync(Arguments(Facts, output, "--rehearse-corpus", corpus), TestContext.Current.CancellationToken);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"tsuzumi train: {corpus}: file not found", Assert.Single(run.CommandErrorLines));
        Assert.False(Directory.Exists(output));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
