using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Tsuzumi.Testing;

/// <summary>What one run of the <c>./tsuzumi</c> script printed, and how it ended.</summary>
public sealed record TsuzumiRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stderr lines of the command itself: the script's "building…" announcement is left out.</summary>
    public string[] CommandErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(line => !line.StartsWith("tsuzumi: building", StringComparison.Ordinal)).ToArray();
}

/// <summary>Runs the repository's <c>./tsuzumi</c> script as a real process, the way users and other scripts do.</summary>
public static class TsuzumiProcess
{
    /// <summary>
    /// The script with <paramref name="arguments"/>, its output redirected, started through <c>env --default-signal=INT</c>:
    /// a shell without job control starts its background commands with SIGINT ignored, an ignored signal stays ignored
    /// across exec, and .NET then leaves it ignored, so a test run started in the background could not interrupt the CLI.
    /// env and the script both exec, so the pid stays the CLI's.
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "tsuzumi"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }

    /// <param name="interruptAfterStderrLine">When given, SIGINT (as Ctrl-C sends) goes to the process once a stderr line matches.</param>
    public static async Task<TsuzumiRun> RunAsync(IEnumerable<string> arguments, CancellationToken cancellation,
        Func<string, bool>? interruptAfterStderrLine = null, TimeSpan? timeout = null)
    {
        using var process = new Process { StartInfo = StartInfo(arguments) };
        var stderr = new ConcurrentQueue<string>();
        var interrupted = 0;
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null) return;
            stderr.Enqueue(line.Data);
            // The script execs dotnet, so its pid is the CLI's once the CLI prints.
            if (interruptAfterStderrLine?.Invoke(line.Data) == true && Interlocked.Exchange(ref interrupted, 1) == 0)
                Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        };
        process.Start();
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.WaitForExit(); // drains the asynchronous stderr reader
        return new TsuzumiRun(process.ExitCode, await stdout, string.Join('\n', stderr));
    }
}
