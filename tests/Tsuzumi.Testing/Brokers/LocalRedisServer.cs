using StackExchange.Redis;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A private redis-server from the locally installed Debian package on a free 127.0.0.1 port, with no
/// persistence and a throw-away working directory. Stopping and starting keep the same port.
/// </summary>
public sealed class LocalRedisServer : IAsyncDisposable
{
    /// <summary>Where Debian's redis-server package puts the server.</summary>
    public const string DefaultServerPath = "/usr/bin/redis-server";

    private readonly string _serverPath;
    private readonly TimeSpan _startupTimeout;
    private ChildProcess? _server;

    private LocalRedisServer(string serverPath, TimeSpan startupTimeout, string baseDirectory, int port)
    {
        _serverPath = serverPath;
        _startupTimeout = startupTimeout;
        BaseDirectory = baseDirectory;
        Port = port;
    }

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The throw-away working directory (and log); deleted on dispose.</summary>
    public string BaseDirectory { get; }

    /// <summary>The captured stdout and stderr of the server.</summary>
    public string ServerLogPath => Path.Combine(BaseDirectory, "server.log");

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _server is { HasExited: false };

    /// <summary>Picks a port and directory, starts the server and waits until it answers PING.</summary>
    public static async Task<LocalRedisServer> StartNewAsync(string serverPath, TimeSpan startupTimeout, CancellationToken cancellationToken = default)
    {
        var server = new LocalRedisServer(serverPath, startupTimeout,
            ExitCleanup.CreateScratchDirectory("tsuzumi-redis-"), FreeLoopbackPorts.Take(1)[0]);
        try
        {
            await server.StartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server on the same port and waits until it answers PING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning) return;
        var server = ChildProcess.Start(
            _serverPath,
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", BaseDirectory, "--daemonize", "no", "--logfile", ""],
            new Dictionary<string, string> { ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["HOME"] = BaseDirectory },
            BaseDirectory, ServerLogPath);
        _server = server;

        var failure = await WaitUntilPingsAsync(
            ConnectionString, _startupTimeout,
            () => server.HasExited ? "the redis-server process exited during start-up" : null,
            cancellationToken);
        if (failure is not null)
        {
            await server.DisposeAsync();
            _server = null;
            throw new BrokerFixtureException(
                $"local redis-server did not answer on 127.0.0.1:{Port} within {_startupTimeout.TotalSeconds:0} s ({failure.Message}); " +
                $"last lines of {ServerLogPath}:\n{LogTail.Read(ServerLogPath)}", failure);
        }
    }

    /// <summary>Stops the server (SIGTERM, then killed after a grace period). Data is not kept: persistence is off.</summary>
    public async Task StopAsync()
    {
        if (_server is null) return;
        await _server.StopAsync(TimeSpan.FromSeconds(10));
        await _server.DisposeAsync();
        _server = null;
    }

    /// <summary>Stops and starts the server on the same port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync();
        await StartAsync(cancellationToken);
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        ExitCleanup.DeleteDirectory(BaseDirectory);
    }

    /// <summary>
    /// Connects and PINGs until it works or <paramref name="timeout"/> passes; <paramref name="whyGiveUp"/>
    /// ends the wait early. Returns null on success, else the last error.
    /// </summary>
    public static async Task<Exception?> WaitUntilPingsAsync(
        string connectionString, TimeSpan timeout, Func<string?>? whyGiveUp = null, CancellationToken cancellationToken = default)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 2000;
        options.ConnectRetry = 0;
        var deadline = DateTime.UtcNow + timeout;
        Exception lastError = new TimeoutException($"no connection attempt finished within {timeout.TotalSeconds:0} s");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
                await connection.GetDatabase().PingAsync();
                return null;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException or System.Net.Sockets.SocketException)
            {
                lastError = exception;
            }
            if (whyGiveUp?.Invoke() is { } reason) return new BrokerFixtureException(reason, lastError);
            if (DateTime.UtcNow >= deadline) return lastError;
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
