using System.Diagnostics;
using System.Net.Sockets;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// A private RabbitMQ node from the locally installed Debian package: its own free AMQP, distribution and
/// epmd ports on 127.0.0.1, a unique node name, a fresh Erlang cookie and a throw-away base directory, so it
/// never meets a system-wide broker or a node of a parallel test process. Stopping and starting keep the same
/// ports and data, like a broker restarted in production.
/// </summary>
public sealed class LocalRabbitMqNode : LocalServerProcess
{
    /// <summary>Where Debian's rabbitmq-server package puts the start script.</summary>
    public const string DefaultServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private ChildProcess? _epmd;

    private LocalRabbitMqNode(string serverPath, TimeSpan startupTimeout, string baseDirectory, int amqpPort, int distributionPort, int epmdPort)
        : base(serverPath, startupTimeout, baseDirectory)
    {
        AmqpPort = amqpPort;
        DistributionPort = distributionPort;
        EpmdPort = epmdPort;
        NodeName = $"tsuzumi-test-{Guid.NewGuid():N}"[..25] + "@localhost";
    }

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public int AmqpPort { get; }

    /// <summary>The Erlang distribution port (bound to 127.0.0.1 only).</summary>
    public int DistributionPort { get; }

    /// <summary>This node's own epmd port (ERL_EPMD_PORT), so a system-wide epmd on 4369 is never used.</summary>
    public int EpmdPort { get; }

    /// <summary>The unique node name, e.g. <c>tsuzumi-test-1a2b3c4d5e6f@localhost</c>.</summary>
    public string NodeName { get; }

    /// <summary>The default user (guest, allowed from loopback only) on this node's AMQP port.</summary>
    public Uri AmqpUri => new($"amqp://guest:guest@127.0.0.1:{AmqpPort}/");

    // A node flushes its queues and message store on SIGTERM; a few seconds normally, more on a loaded CI box.
    private protected override TimeSpan StopGrace => TimeSpan.FromSeconds(30);

    /// <summary>Creates the directory and ports, starts the node and waits until an AMQP connection opens.</summary>
    public static async Task<LocalRabbitMqNode> StartNewAsync(string serverPath, TimeSpan startupTimeout, CancellationToken cancellationToken = default)
    {
        var ports = FreeLoopbackPorts.Take(3);
        var baseDirectory = ExitCleanup.CreateScratchDirectory("tsuzumi-rabbitmq-");
        var node = new LocalRabbitMqNode(serverPath, startupTimeout, baseDirectory, ports[0], ports[1], ports[2]);
        try
        {
            await node.PrepareDirectoryAsync(cancellationToken);
            await node.StartAsync(cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the node (on the same ports and data as before) and waits until it accepts AMQP connections.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning) return;
        if (_epmd is null || _epmd.HasExited)
        {
            if (_epmd is not null) await _epmd.DisposeAsync();
            _epmd = ChildProcess.Start(
                FindEpmd(), ["-port", EpmdPort.ToString(), "-address", "127.0.0.1"],
                BaseEnvironment(), BaseDirectory, Path.Combine(BaseDirectory, "epmd.log"));
            await WaitForTcpAsync(EpmdPort, TimeSpan.FromSeconds(10), _epmd, "epmd", cancellationToken);
        }

        var (fileName, arguments) = Environment.IsPrivilegedProcess
            // Erlang refuses nothing as root, but RabbitMQ's files and cookie must belong to the broker's own user.
            ? ("setpriv", new[] { "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups", ServerPath })
            : (ServerPath, Array.Empty<string>());
        var server = ChildProcess.Start(fileName, arguments, ServerEnvironment(), BaseDirectory, ServerLogPath);
        Server = server;

        var failure = await AmqpProbe.WaitUntilConnectsAsync(
            AmqpUri, StartupTimeout,
            () => server.HasExited ? "the rabbitmq-server process exited during start-up" : null,
            cancellationToken);
        if (failure is not null)
        {
            await server.StopAsync(TimeSpan.FromSeconds(5));
            await server.DisposeAsync();
            Server = null;
            throw new BrokerFixtureException(
                $"local RabbitMQ node {NodeName} did not accept AMQP on 127.0.0.1:{AmqpPort} within {StartupTimeout.TotalSeconds:0} s " +
                $"({failure.Message}). Logs in {BaseDirectory}; last lines of {ServerLogPath}:\n{LogTail.Read(ServerLogPath)}",
                failure);
        }
    }

    // epmd outlives server restarts (the node registers with it again), so it goes only on dispose.
    private protected override async ValueTask DisposeHelperProcessesAsync()
    {
        if (_epmd is null) return;
        await _epmd.DisposeAsync();
        _epmd = null;
    }

    private async Task PrepareDirectoryAsync(CancellationToken cancellationToken)
    {
        foreach (var folder in new[] { "home", "mnesia", "log" }) Directory.CreateDirectory(Path.Combine(BaseDirectory, folder));
        await File.WriteAllTextAsync(Path.Combine(BaseDirectory, "rabbitmq.conf"),
            $"""
            listeners.tcp.1 = 127.0.0.1:{AmqpPort}
            # A nearly full CI disk must not block publishers mid-test.
            disk_free_limit.absolute = 1MB
            """, cancellationToken);
        // No plugins: the management plugin would open another fixed port (15672) and slow the start.
        await File.WriteAllTextAsync(Path.Combine(BaseDirectory, "enabled_plugins"), "[].\n", cancellationToken);
        // Empty, so /etc/rabbitmq/rabbitmq-env.conf cannot change the node's ports or name.
        await File.WriteAllTextAsync(Path.Combine(BaseDirectory, "rabbitmq-env.conf"), "", cancellationToken);

        if (Environment.IsPrivilegedProcess) await ChownToRabbitMqAsync(cancellationToken);
    }

    private async Task ChownToRabbitMqAsync(CancellationToken cancellationToken)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", "rabbitmq:rabbitmq", BaseDirectory])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new BrokerFixtureException("could not run chown");
        var error = await chown.StandardError.ReadToEndAsync(cancellationToken);
        await chown.WaitForExitAsync(cancellationToken);
        if (chown.ExitCode != 0)
            throw new BrokerFixtureException($"running as root, the broker must run as the 'rabbitmq' user, but chown of {BaseDirectory} failed: {error.Trim()}");
    }

    private Dictionary<string, string> BaseEnvironment() => new()
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["LANG"] = "C.UTF-8",
        ["LC_ALL"] = "C.UTF-8",
        // A private HOME gives the node and its epmd a fresh Erlang cookie, never the user's or the system broker's.
        ["HOME"] = Path.Combine(BaseDirectory, "home"),
        ["ERL_EPMD_PORT"] = EpmdPort.ToString(),
    };

    private Dictionary<string, string> ServerEnvironment()
    {
        var environment = BaseEnvironment();
        environment["RABBITMQ_NODENAME"] = NodeName;
        environment["RABBITMQ_DIST_PORT"] = DistributionPort.ToString();
        environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(BaseDirectory, "mnesia");
        environment["RABBITMQ_LOG_BASE"] = Path.Combine(BaseDirectory, "log");
        environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(BaseDirectory, "rabbitmq.conf");
        environment["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(BaseDirectory, "advanced.config");
        environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(BaseDirectory, "enabled_plugins");
        environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(BaseDirectory, "rabbitmq-env.conf");
        environment["RABBITMQ_PID_FILE"] = Path.Combine(BaseDirectory, "rabbitmq.pid");
        // Our epmd is already running (and is ours to stop); the distribution listener stays on loopback.
        environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}";
        return environment;
    }

    private static string FindEpmd()
    {
        if (File.Exists("/usr/bin/epmd")) return "/usr/bin/epmd";
        var bundled = Directory.Exists("/usr/lib/erlang")
            ? Directory.EnumerateFiles("/usr/lib/erlang", "epmd", SearchOption.AllDirectories).FirstOrDefault()
            : null;
        return bundled ?? "epmd";
    }

    private static async Task WaitForTcpAsync(int port, TimeSpan timeout, ChildProcess process, string name, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (!process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (SocketException exception)
            {
                throw new BrokerFixtureException(
                    $"{name} did not listen on 127.0.0.1:{port} ({exception.Message}); last lines of {process.LogPath}:\n{process.Tail()}", exception);
            }
        }
    }
}
