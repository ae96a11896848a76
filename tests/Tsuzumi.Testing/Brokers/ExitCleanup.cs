using System.Collections.Concurrent;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// What must not outlive the test process even when a fixture is never disposed (a crashed run, Ctrl+C):
/// child processes are killed, then scratch directories deleted, when the process exits. A SIGKILLed test
/// host runs no code; its brokers and directories are left behind.
/// </summary>
public static class ExitCleanup
{
    private static readonly ConcurrentDictionary<ChildProcess, byte> Processes = new();
    private static readonly ConcurrentDictionary<string, byte> Directories = new();

    static ExitCleanup()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Processes.Keys) process.KillTree();
            foreach (var directory in Directories.Keys) TryDelete(directory);
        };
    }

    /// <summary>A new directory under the temp folder, deleted at exit unless <see cref="DeleteDirectory"/> ran first.</summary>
    public static string CreateScratchDirectory(string prefix)
    {
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        Directories[path] = 0;
        return path;
    }

    /// <summary>Deletes a scratch directory now (a few tries: a just-killed server may still be closing files).</summary>
    public static void DeleteDirectory(string path)
    {
        for (var attempt = 0; attempt < 3 && !TryDelete(path); attempt++) Thread.Sleep(200);
        Directories.TryRemove(path, out _);
    }

    internal static void Track(ChildProcess process) => Processes[process] = 0;

    internal static void Untrack(ChildProcess process) => Processes.TryRemove(process, out _);

    private static bool TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
