using Tsuzumi.Testing;

namespace Tsuzumi.Cli.Tests;

/// <summary>
/// <c>./tsuzumi convert-adapter</c> and <c>--adapter FILE.gguf</c> as real processes: an adapter trained here, converted
/// to llama.cpp's GGUF LoRA format and back, generates the same text in every form.
/// </summary>
public sealed class ConvertAdapterCommandTests : IDisposable
{
    private const string Prompt = "Q: What color is Tom's kite?\nA:";
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-convert-adapter-").FullName;
    private readonly string model = RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
    private static readonly string Facts = Path.Combine(RepositoryPaths.Root, "tests/Tsuzumi.Inference.Tests/Training/Data/stories-facts.jsonl");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_peft_adapter_converted_to_gguf_and_back_generates_the_same_text()
    {
        var peft = Path.Combine(folder, "facts");
        var trained = await Run("train", "--model", model, "--data", Facts, "--out", peft, "--rank", "8", "--alpha", "16",
            "--targets", "q,k,v,o,gate,up,down", "--epochs", "30", "--lr", "5e-3", "--batch", "4", "--eval-fraction", "0");
        Assert.True(trained.ExitCode == 0, trained.Stderr);

        var gguf = Path.Combine(folder, "facts.gguf");
        var toGguf = await Run("convert-adapter", "--model", model, "--adapter", peft, "--out", gguf);
        Assert.True(toGguf.ExitCode == 0, toGguf.Stderr);
        Assert.Contains("rank 8", toGguf.Stderr);
        var backToPeft = Path.Combine(folder, "facts-again");
        var toPeft = await Run("convert-adapter", "--model", model, "--adapter", gguf, "--out", backToPeft);
        Assert.True(toPeft.ExitCode == 0, toPeft.Stderr);

        var fromPeft = await Generate(peft);
        var fromGguf = await Generate(gguf);
        var fromRoundTrip = await Generate(backToPeft);
        var fromBase = await Generate(null);

        Assert.NotEqual(fromBase, fromPeft); // the adapter must change the answer, or the comparison says nothing
        Assert.Equal(fromPeft, fromGguf);
        Assert.Equal(fromPeft, fromRoundTrip);
    }

    [Fact]
    public async Task A_model_file_given_as_an_adapter_fails_with_one_line_naming_the_key()
    {
        var result = await Run("generate", "--model", model, "--adapter", model, "--prompt", "Once", "--max-tokens", "4");

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.CommandErrorLines);
        Assert.StartsWith("tsuzumi generate: ", line);
        Assert.Contains("general.type", line);
    }

    [Fact]
    public async Task An_unknown_tensor_type_or_an_existing_output_is_refused_before_anything_is_written()
    {
        var existing = Path.Combine(folder, "taken.gguf");
        await File.WriteAllTextAsync(existing, "keep me", TestContext.Current.CancellationToken);

        var typed = await Run("convert-adapter", "--model", model, "--adapter", folder, "--out", Path.Combine(folder, "x.gguf"), "--type", "q4_k");
        var taken = await Run("convert-adapter", "--model", model, "--adapter", folder, "--out", existing);

        Assert.Equal(2, typed.ExitCode);
        Assert.Contains("--type", Assert.Single(typed.CommandErrorLines));
        Assert.Equal(2, taken.ExitCode);
        Assert.Contains("already exists", Assert.Single(taken.CommandErrorLines));
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(folder, "x.gguf")));
    }

    private async Task<string> Generate(string? adapter)
    {
        string[] arguments = ["generate", "--model", model, "--prompt", Prompt, "--max-tokens", "24", "--temperature", "0", "--stop", "\n"];
        var result = await Run(adapter is null ? arguments : [.. arguments, "--adapter", adapter]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    private static Task<TsuzumiRun> Run(params string[] arguments) => TsuzumiProcess.RunAsync(arguments, TestContext.Current.CancellationToken);
}
