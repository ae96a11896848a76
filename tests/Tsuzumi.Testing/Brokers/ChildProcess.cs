using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A server process started by a fixture: its stdout and stderr go to a log file, it is stopped with SIGTERM
/// (then its whole tree killed if it lingers), and every live one is killed when the test process exits
/// (<see cref="ExitCleanup"/>), so no broker outlives the test run.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logLock = new();
    // stdout and stderr, each signalled at its end of stream; never disposed: an end may still arrive after the child is disposed
    private readonly CountdownEvent _outputOpen = new(2);
    private bool _forgotten;

    private ChildProcess(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    /// <summary>The operating-system process id.</summary>
    public int Id => _process.Id;

    /// <summary>Where stdout and stderr are appended.</summary>
    public string LogPath { get; }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _forgotten || _process.HasExited;

    /// <summary>
    /// Starts <paramref name="fileName"/> with exactly <paramref name="environment"/> (nothing inherited, so a
    /// developer's own RABBITMQ_* settings cannot leak in) and appends its output to <paramref name="logPath"/>.
    /// </summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        string logPath)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true, // closed at once: servers must not wait on the test host's stdin
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        startInfo.Environment.Clear();
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = startInfo };
        var child = new ChildProcess(process, log, logPath);
        process.OutputDataReceived += (_, line) => child.AppendLog(line.Data);
        process.ErrorDataReceived += (_, line) => child.AppendLog(line.Data);
        try
        {
            process.Start();
        }
        catch
        {
            log.Dispose();
            process.Dispose();
            throw;
        }
        ExitCleanup.Track(child);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Sends SIGTERM (the servers' graceful stop), waits up to <paramref name="grace"/>, then kills the
    /// whole process tree. Returns true when the process stopped within the grace period.
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        if (_forgotten) return true;
        if (_process.HasExited)
        {
            Forget();
            return true;
        }
        // Taken before the signal: a parent that exits gracefully can orphan children the tree kill no longer sees.
        var descendants = ProcessTree.Descendants(_process.Id);
        _ = kill(_process.Id, SigTerm);
        // Polls for the exit itself: WaitForExitAsync also waits for the end of the output, which a
        // grandchild holding the pipe can delay past the grace period.
        var deadline = DateTime.UtcNow + grace;
        while (!_process.HasExited && DateTime.UtcNow < deadline) await Task.Delay(50);
        var graceful = _process.HasExited;
        KillTree();
        foreach (var descendant in descendants.Where(ProcessTree.IsAlive)) _ = kill(descendant.Id, SigKill);
        Forget();
        return graceful;
    }

    /// <summary>Kills the process and every descendant at once; safe to call on an ended process.</summary>
    public void KillTree()
    {
        if (_forgotten) return;
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone: nothing left to kill.
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of the captured output.</summary>
    public string Tail(int lines = 40) => LogTail.Read(LogPath, lines);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            _outputOpen.Signal(); // the end of one stream: everything it wrote is in the log
            return;
        }
        lock (_logLock)
        {
            try { _log.WriteLine(line); }
            catch (ObjectDisposedException) { /* output that arrives after the stop is dropped */ }
        }
    }

    private void Forget()
    {
        ExitCleanup.Untrack(this);
        // Lets the redirected output drain into the log: WaitForExit with a timeout does not wait for the output events,
        // so a short-lived child's last lines could arrive after the log closed. Bounded, since an escaped grandchild
        // may hold the pipe open.
        _process.WaitForExit(TimeSpan.FromSeconds(2));
        _outputOpen.Wait(TimeSpan.FromSeconds(2));
        lock (_logLock) _log.Dispose();
        _forgotten = true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
