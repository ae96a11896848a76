using Tsuzumi.Testing;

namespace Tsuzumi.Cli.Tests;

/// <summary>README's first command: <c>./tsuzumi ask</c> on the embedded default, no broker, no cluster, no download.</summary>
public sealed class AskCommandTests
{
    // A port nothing listens on, so ask always starts its own embedded constellation.
    private const string NoServer = "http://127.0.0.1:9";

    [Fact]
    public async Task A_finance_question_is_routed_to_the_finance_specialist_and_answered()
    {
        var result = await Ask("What is a dividend?", "--url", NoServer);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("started the embedded constellation", result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, line => line.TrimStart().StartsWith("finance", StringComparison.Ordinal) && line.Contains(" ok "));
        Assert.Contains("profit", result.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Named_specialists_answer_in_attributed_sections()
    {
        var result = await Ask("日本の首都はどこですか？", "--url", NoServer, "--specialists", "general,medical", "--strategy", "merge");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("## general", result.Stdout);
        Assert.Contains("## medical", result.Stdout);
        Assert.Contains("東京", result.Stdout);
    }

    [Fact]
    public async Task Another_tenants_specialist_does_not_exist_for_the_public_caller()
    {
        var result = await Ask("When is the expense deadline?", "--url", NoServer, "--specialists", "org-acme");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("404", result.Stderr);
    }

    [Fact]
    public async Task A_missing_catalog_is_a_clear_error()
    {
        var result = await Ask("anything", "--url", NoServer, "--config", "/nonexistent/constellation.json");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("constellation.json", result.Stderr);
    }

    private static Task<TsuzumiRun> Ask(params string[] arguments) =>
        TsuzumiProcess.RunAsync(["ask", .. arguments], TestContext.Current.CancellationToken);
}
