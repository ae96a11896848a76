namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// What every locally started test server shares: a throw-away base directory, the server process and its log,
/// and stop/restart/dispose. Subclasses say how to start the server and when it is ready.
/// </summary>
public abstract class LocalServerProcess : IAsyncDisposable
{
    private protected LocalServerProcess(string serverPath, TimeSpan startupTimeout, string baseDirectory)
    {
        ServerPath = serverPath;
        StartupTimeout = startupTimeout;
        BaseDirectory = baseDirectory;
    }

    /// <summary>The throw-away directory holding the server's files and log; deleted on dispose.</summary>
    public string BaseDirectory { get; }

    /// <summary>The captured stdout and stderr of the server.</summary>
    public string ServerLogPath => Path.Combine(BaseDirectory, "server.log");

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => Server is { HasExited: false };

    private protected string ServerPath { get; }

    private protected TimeSpan StartupTimeout { get; }

    /// <summary>The running server process; null while stopped.</summary>
    private protected ChildProcess? Server { get; set; }

    /// <summary>How long the server may take to shut down after SIGTERM before its process tree is killed.</summary>
    private protected abstract TimeSpan StopGrace { get; }

    /// <summary>Starts the server (same ports as before) and waits until it accepts clients; does nothing if it runs.</summary>
    public abstract Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the server: SIGTERM, then the process tree is killed after a grace period.</summary>
    public async Task StopAsync()
    {
        if (Server is null) return;
        await Server.StopAsync(StopGrace);
        await Server.DisposeAsync();
        Server = null;
    }

    /// <summary>Stops and starts the server on the same ports.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync();
        await StartAsync(cancellationToken);
    }

    /// <summary>Stops the server and any helper processes and deletes the base directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await DisposeHelperProcessesAsync();
        ExitCleanup.DeleteDirectory(BaseDirectory);
        GC.SuppressFinalize(this);
    }

    /// <summary>Ends processes started next to the server (RabbitMQ's epmd); called after the server stopped.</summary>
    private protected virtual ValueTask DisposeHelperProcessesAsync() => ValueTask.CompletedTask;
}
