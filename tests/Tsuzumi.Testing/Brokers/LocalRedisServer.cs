using StackExchange.Redis;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A private redis-server from the locally installed Debian package on a free 127.0.0.1 port, with no
/// persistence and a throw-away working directory. Stopping and starting keep the same port.
/// </summary>
public sealed class LocalRedisServer : LocalServerProcess
{
    /// <summary>Where Debian's redis-server package puts the server.</summary>
    public const string DefaultServerPath = "/usr/bin/redis-server";

    private LocalRedisServer(string serverPath, TimeSpan startupTimeout, string baseDirectory, int port)
        : base(serverPath, startupTimeout, baseDirectory) => Port = port;

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    // Nothing to flush: persistence is off, so data is gone after a stop anyway.
    private protected override TimeSpan StopGrace => TimeSpan.FromSeconds(10);

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
    public override async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning) return;
        var server = ChildProcess.Start(
            ServerPath,
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", BaseDirectory, "--daemonize", "no", "--logfile", ""],
            new Dictionary<string, string> { ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["HOME"] = BaseDirectory },
            BaseDirectory, ServerLogPath);
        Server = server;

        var failure = await WaitUntilPingsAsync(
            ConnectionString, StartupTimeout,
            () => server.HasExited ? "the redis-server process exited during start-up" : null,
            cancellationToken);
        if (failure is not null)
        {
            await server.DisposeAsync();
            Server = null;
            throw new BrokerFixtureException(
                $"local redis-server did not answer on 127.0.0.1:{Port} within {StartupTimeout.TotalSeconds:0} s ({failure.Message}); " +
                $"last lines of {ServerLogPath}:\n{LogTail.Read(ServerLogPath)}", failure);
        }
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
