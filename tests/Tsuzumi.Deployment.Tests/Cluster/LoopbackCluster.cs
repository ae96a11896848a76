using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using StackExchange.Redis;
using Tsuzumi.Deployment.Tests.Manifests;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// The constellation of docker-compose.yml as separate processes on loopback: RabbitMQ and Redis from the broker
/// fixtures (the Debian packages' servers when there is no URL and no Docker), then silo-1 and silo-2, the router and
/// the gateway, each `dotnet Tsuzumi.{Service}.dll` configured only by environment variables — compose's own keys
/// (<see cref="ComposeEnvironment"/>) plus the few a single host needs: distinct ports, and membership probes short
/// enough that a dead silo is declared dead in seconds. No Orleans, MassTransit or model code runs in the test process.
/// </summary>
public sealed class LoopbackCluster : IAsyncLifetime
{
    /// <summary>The development key of deploy/compose/api-keys.dev.json (tenant acme; docs/operations.md).</summary>
    public const string ApiKey = "tsuzumi-dev-key";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(150);

    private readonly RabbitMqFixture _rabbitMq = new();
    private readonly RedisFixture _redis = new();
    private readonly List<ServiceProcess> _processes = [];
    private string? _scratch;
    private string _membershipKey = "";

    /// <summary>Why the cluster could not start (no broker or no Redis); null when it runs.</summary>
    public string? SkipReason { get; private set; }

    public IReadOnlyList<ServiceProcess> Silos { get; private set; } = [];

    public ServiceProcess Router { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    /// <summary>Calls the gateway with the development key, as a client application would.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Calls any process directly (health, <c>/silo/*</c>), without a key.</summary>
    public HttpClient Direct { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>From the first process start to the gateway's readiness.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Names a folder to keep every process's log in after the run (they go to the scratch folder otherwise).</summary>
    public const string LogDirectoryVariable = "TSUZUMI_CLUSTER_LOG_DIR";

    /// <summary>Where every process's output goes (the last lines of each are attached to failures).</summary>
    public string LogDirectory { get; private set; } = "";

    /// <summary>Skips the calling test, with the reason, when the cluster has no broker or no Redis.</summary>
    public void SkipIfUnavailable()
    {
        if (SkipReason is not null) Assert.Skip(SkipReason);
    }

    public async ValueTask InitializeAsync()
    {
        await Task.WhenAll(_rabbitMq.InitializeAsync().AsTask(), _redis.InitializeAsync().AsTask());
        if (!_rabbitMq.IsAvailable || !_redis.IsAvailable)
        {
            SkipReason = string.Join("; ", new[] { _rabbitMq.SkipReason, _redis.SkipReason }.Where(reason => reason is not null));
            Console.Error.WriteLine($"[{nameof(LoopbackCluster)}] the multi-process cluster tests will be skipped: {SkipReason}");
            return;
        }
        _scratch = ExitCleanup.CreateScratchDirectory("tsuzumi-cluster-");
        LogDirectory = Environment.GetEnvironmentVariable(LogDirectoryVariable) is { Length: > 0 } kept
            ? Directory.CreateDirectory(Path.GetFullPath(kept)).FullName
            : _scratch;
        var compose = ComposeFile.Load(DeploymentFiles.ComposeFile);
        var ports = FreeLoopbackPorts.Take(8);
        var http = new Dictionary<string, int> { ["silo-1"] = ports[0], ["silo-2"] = ports[1], ["router"] = ports[2], ["gateway"] = ports[3] };
        var environment = new ComposeEnvironment(compose, new LoopbackAddresses(_rabbitMq.AmqpUri, _redis.ConnectionString, http));
        // One cluster id per run, so a shared REDIS_URL never merges this cluster with another run's.
        var clusterId = $"tsuzumi-{Guid.NewGuid():N}"[..20];
        // Orleans' Redis membership table: one hash per service and cluster, a row per silo.
        _membershipKey = $"{compose.Services["silo-1"].Environment["Orleans__ServiceId"]}/members/{clusterId}";
        var clock = Stopwatch.StartNew();

        var silos = new List<ServiceProcess>();
        for (var i = 0; i < 2; i++)
        {
            var name = $"silo-{i + 1}";
            var variables = ForService(environment, name, http[name], clusterId);
            variables["Orleans__Endpoints__AdvertisedIPAddress"] = "127.0.0.1";
            variables["Orleans__Endpoints__SiloPort"] = Invariant(ports[4 + 2 * i]);
            variables["Orleans__Endpoints__GatewayPort"] = Invariant(ports[5 + 2 * i]);
            // Seconds, not the default half minute, from a killed silo to its death declaration (ClusterMembershipOptions).
            variables["Orleans__Membership__ProbeTimeout"] = "00:00:02";
            variables["Orleans__Membership__NumMissedProbesLimit"] = "3";
            silos.Add(Start(name, "Silo", http[name], variables));
        }
        Silos = silos;
        await Task.WhenAll(silos.Select(silo => silo.WaitUntilReadyAsync(Direct, StartTimeout, CancellationToken.None)));

        Router = Start("router", "Router", http["router"], ForService(environment, "router", http["router"], clusterId));
        var gateway = ForService(environment, "gateway", http["gateway"], clusterId);
        // The drill measures the cluster, not the per-key limiter (30 requests/s by default).
        gateway["Gateway__DefaultRateLimit__Burst"] = "100000";
        gateway["Gateway__DefaultRateLimit__Refill"] = "100000";
        Gateway = Start("gateway", "Gateway", http["gateway"], gateway);
        await Router.WaitUntilReadyAsync(Direct, StartTimeout, CancellationToken.None);
        await Gateway.WaitUntilReadyAsync(Direct, StartTimeout, CancellationToken.None);
        StartupTime = clock.Elapsed;

        Client = new HttpClient { BaseAddress = Gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    /// <summary>
    /// Polls Orleans' membership table in Redis until <paramref name="siloAddress"/> (<c>S127.0.0.1:port:generation</c>)
    /// is marked dead (<c>SiloStatus.Dead</c>); null when that does not happen within <paramref name="timeout"/>.
    /// </summary>
    public async Task<DateTime?> WaitUntilDeclaredDeadAsync(string siloAddress, TimeSpan timeout, CancellationToken cancellation)
    {
        var parts = siloAddress.TrimStart('S').Split(':');
        var (siloPort, generation) = (parts[^2], parts[^1]);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var database = redis.GetDatabase();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !cancellation.IsCancellationRequested)
        {
            var rows = await database.HashGetAllAsync(_membershipKey);
            var row = rows.Select(entry => (string?)entry.Value).FirstOrDefault(value => value is not null && value.Contains(siloPort, StringComparison.Ordinal) && value.Contains(generation, StringComparison.Ordinal));
            if (row is not null && (row.Contains("\"Status\":6", StringComparison.Ordinal) || row.Contains("\"Status\":\"Dead\"", StringComparison.Ordinal)))
                return DateTime.UtcNow;
            LastMembershipRow = row;
            await Task.Delay(100, CancellationToken.None);
        }
        return null;
    }

    /// <summary>The last membership row read by <see cref="WaitUntilDeclaredDeadAsync"/> (for a report when no death was seen).</summary>
    public string? LastMembershipRow { get; private set; }

    /// <summary>The last lines of every process's log, for a failure message.</summary>
    public string Logs(int lines = 25) =>
        string.Join("\n", _processes.Select(process => $"----- {process.Name} ({process.LogPath})\n{process.Tail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        Direct.Dispose();
        // The gateway first, the silos last, as an orderly shutdown would; all at once would also do.
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        await _rabbitMq.DisposeAsync();
        await _redis.DisposeAsync();
        if (_scratch is not null) ExitCleanup.DeleteDirectory(_scratch);
    }

    private Dictionary<string, string> ForService(ComposeEnvironment environment, string name, int httpPort, string clusterId)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_scratch!, name)).FullName;
        var variables = environment.For(name, folder);
        variables["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        // UTC timestamps, so the four logs read side by side after a drill (the options apply once a formatter is named).
        variables["Logging__Console__FormatterName"] = "simple";
        variables["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        variables["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        if (variables.ContainsKey("Orleans__ClusterId")) variables["Orleans__ClusterId"] = clusterId;
        return variables;
    }

    private ServiceProcess Start(string name, string service, int httpPort, Dictionary<string, string> variables)
    {
        var process = ServiceProcess.Start(name, ServiceAssemblies.Find(service), httpPort, variables, LogDirectory);
        _processes.Add(process);
        return process;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

[CollectionDefinition(Name)]
public sealed class LoopbackClusterCollection : ICollectionFixture<LoopbackCluster>
{
    public const string Name = "loopback cluster";
}
