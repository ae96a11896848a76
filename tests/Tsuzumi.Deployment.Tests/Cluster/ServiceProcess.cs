using System.Net;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// One service of the loopback cluster as its own OS process: <c>dotnet Tsuzumi.{Service}.dll</c> with exactly the
/// environment given (plus what the dotnet host needs to run), its output in a log file. Stopped with SIGTERM, or
/// killed with SIGKILL; <see cref="ExitCleanup"/> kills it when the test process exits, even after a failure.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    // What `dotnet` itself needs from the test's environment; nothing else leaks in (no developer's Orleans__* or ports).
    private static readonly string[] HostVariables = ["PATH", "HOME", "DOTNET_ROOT", "DOTNET_CLI_HOME", "TMPDIR", "LANG", "NUGET_PACKAGES"];

    private readonly ChildProcess _process;

    private ServiceProcess(string name, Uri baseAddress, ChildProcess process)
    {
        Name = name;
        BaseAddress = baseAddress;
        _process = process;
    }

    /// <summary>The compose service name, e.g. <c>silo-1</c>.</summary>
    public string Name { get; }

    /// <summary>Its HTTP address on loopback, with a trailing slash.</summary>
    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ServiceProcess Start(string name, string assemblyPath, int httpPort, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        var full = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in HostVariables)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value) full[variable] = value;
        }
        foreach (var (key, value) in environment) full[key] = value;
        var process = ChildProcess.Start(DotNetHost(), ["exec", assemblyPath], full, Path.GetDirectoryName(assemblyPath)!,
            Path.Combine(logDirectory, $"{name}.log"));
        return new ServiceProcess(name, new Uri($"http://127.0.0.1:{httpPort}/"), process);
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200; fails with the log's tail if the process ends or time runs out.</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited while starting:\n{Tail()}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "health/ready"), cancellation);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellation)}";
            }
            catch (HttpRequestException error)
            {
                last = error.Message;
            }
            await Task.Delay(250, cancellation);
        }
        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s (last: {last}):\n{Tail()}");
    }

    /// <summary>SIGKILL to the process and its children: no shutdown code runs, sockets just close.</summary>
    public void Kill() => _process.KillTree();

    public string Tail(int lines = 60) => _process.Tail(lines);

    public string LogPath => _process.LogPath;

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();

    /// <summary>The dotnet host running this test (the SDK sets DOTNET_HOST_PATH for what it starts), else `dotnet` on PATH.</summary>
    private static string DotNetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("no dotnet host: set DOTNET_HOST_PATH or put dotnet on PATH");
    }
}
