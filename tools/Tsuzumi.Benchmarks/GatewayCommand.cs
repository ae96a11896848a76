using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Gateway.Extensions;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench gateway</c>: (1) the latency the gateway adds — the same requests to the same upstream, direct and
/// through the gateway, interleaved in one run, p50/p99 of each and of the difference; (2) a bounded load test — many
/// concurrent clients through the gateway for a fixed time: throughput, latency, status breakdown, memory before/after.
/// The upstream is a trivial in-process Kestrel app standing for the router unless <c>--upstream</c> names a real one.
/// </summary>
internal static class GatewayCommand
{
    private const string BenchKey = "tsk-bench-key";

    public static Command Create()
    {
        var requests = new Option<int>("--requests") { Description = "Timed sequential requests per side (direct, gateway) per round", DefaultValueFactory = _ => 1000 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds, alternating direct and gateway", DefaultValueFactory = _ => 3 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients in the load test", DefaultValueFactory = _ => 100 };
        var seconds = new Option<int>("--seconds") { Description = "Length of the load test (0 skips it)", DefaultValueFactory = _ => 10 };
        var limits = new Option<string>("--limits") { Description = "Load test rate limits: 'shipped' (the no-keys defaults of gateway.defaults.json) or 'off'", DefaultValueFactory = _ => "shipped" };
        var upstream = new Option<string?>("--upstream") { Description = "A running router to measure against (e.g. the embedded default's router port) instead of the trivial upstream" };
        var path = new Option<string>("--path") { Description = "Request path", DefaultValueFactory = _ => "/v1/models" };
        var body = new Option<string?>("--body") { Description = "JSON body; the request is a POST when given" };
        var direct = new Option<bool>("--direct") { Description = "Load --upstream itself (e.g. a running `tsuzumi serve`, whose own gateway is in front) instead of an in-process gateway; skips the overhead part" };
        var serverPid = new Option<int?>("--server-pid") { Description = "Also report this process's resident memory (VmRSS) before and after the load test, e.g. the `tsuzumi serve` under load" };

        var command = new Command("gateway", "Latency the gateway adds over calling the router directly (p50/p99), and a bounded load test through it")
        {
            requests, rounds, clients, seconds, limits, upstream, path, body, direct, serverPid,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var limitsValue = parse.GetValue(limits);
            if (parse.GetValue(requests) < 10 || parse.GetValue(rounds) < 1 || parse.GetValue(clients) < 1 || parse.GetValue(seconds) < 0
                || limitsValue is not ("shipped" or "off"))
            {
                Console.Error.WriteLine("tsuzumi bench gateway: --requests ≥ 10, --rounds ≥ 1, --clients ≥ 1, --seconds ≥ 0, --limits shipped|off");
                return 2;
            }
            var upstreamValue = parse.GetValue(upstream);
            if (parse.GetValue(direct) && (upstreamValue is null || parse.GetValue(seconds) == 0))
            {
                Console.Error.WriteLine("tsuzumi bench gateway: --direct loads the --upstream named, for --seconds > 0");
                return 2;
            }
            if (parse.GetValue(serverPid) is { } pid && !File.Exists($"/proc/{pid}/status"))
            {
                Console.Error.WriteLine($"tsuzumi bench gateway: --server-pid {pid}: no such process");
                return 2;
            }
            if (upstreamValue is not null && !Uri.TryCreate(upstreamValue, UriKind.Absolute, out _))
            {
                Console.Error.WriteLine($"tsuzumi bench gateway: --upstream '{upstreamValue}' is not an absolute URL");
                return 2;
            }
            await RunAsync(parse.GetValue(requests), parse.GetValue(rounds), parse.GetValue(clients), parse.GetValue(seconds), limitsValue == "off",
                upstreamValue, parse.GetValue(path)!, parse.GetValue(body), parse.GetValue(direct), parse.GetValue(serverPid));
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(int requests, int rounds, int clients, int seconds, bool limitsOff, string? upstreamUrl, string path, string? body, bool direct, int? serverPid)
    {
        if (direct)
        {
            Console.Error.WriteLine($"loading {upstreamUrl} directly; request: {(body is null ? "GET" : "POST")} {path}; load average {MachineLoad.Average()}");
            await LoadAsync(new Uri(upstreamUrl!), clients, seconds, limitsOff, path, body, $"{upstreamUrl} (a running server; its own gateway and limits)", serverPid);
            return;
        }
        await using var trivial = upstreamUrl is null ? await TrivialRouter.StartAsync() : null;
        var upstream = new Uri(upstreamUrl ?? trivial!.Address);
        Console.Error.WriteLine($"upstream: {(trivial is null ? upstream.ToString() : $"trivial in-process Kestrel app at {upstream}")}; request: {(body is null ? "GET" : "POST")} {path}; load average {MachineLoad.Average()}");

        await using (var gateway = await StartGatewayAsync(upstream, withKey: true, limitsOff: true))
        {
            await MeasureOverheadAsync(upstream, gateway.Address, requests, rounds, path, body);
        }
        if (seconds > 0)
        {
            await using var gateway = await StartGatewayAsync(upstream, withKey: false, limitsOff);
            var limitsNote = $"the in-process gateway, no keys, rate limits {(limitsOff ? "off" : "as shipped: 200 burst, 100/s per client address")}";
            await LoadAsync(gateway.Address, clients, seconds, limitsOff, path, body, limitsNote, serverPid);
        }
    }

    private static async Task MeasureOverheadAsync(Uri upstream, Uri gateway, int requests, int rounds, string path, string? body)
    {
        using var direct = Client(upstream, apiKey: null, connections: 1);
        using var proxied = Client(gateway, BenchKey, connections: 1);
        await SequentialAsync(direct, path, body, 200); // warm-up: JIT, connections, the proxy's pooled connection
        await SequentialAsync(proxied, path, body, 200);

        var directTimes = new List<double>();
        var gatewayTimes = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            // Alternate which side goes first so drift in machine load hits both.
            if (round % 2 == 0)
            {
                directTimes.AddRange(await SequentialAsync(direct, path, body, requests));
                gatewayTimes.AddRange(await SequentialAsync(proxied, path, body, requests));
            }
            else
            {
                gatewayTimes.AddRange(await SequentialAsync(proxied, path, body, requests));
                directTimes.AddRange(await SequentialAsync(direct, path, body, requests));
            }
        }
        var d = directTimes.ToArray();
        var g = gatewayTimes.ToArray();
        Console.WriteLine($"## gateway overhead: {rounds} rounds × {requests} sequential requests per side, one keep-alive connection each");
        Console.WriteLine();
        Console.WriteLine("| path | p50 ms | p90 ms | p99 ms | mean ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Console.WriteLine($"| client → upstream (direct) | {Percentile(d, 0.50):F3} | {Percentile(d, 0.90):F3} | {Percentile(d, 0.99):F3} | {d.Average():F3} |");
        Console.WriteLine($"| client → gateway → upstream | {Percentile(g, 0.50):F3} | {Percentile(g, 0.90):F3} | {Percentile(g, 0.99):F3} | {g.Average():F3} |");
        Console.WriteLine($"| **added by the gateway** | {Percentile(g, 0.50) - Percentile(d, 0.50):F3} | {Percentile(g, 0.90) - Percentile(d, 0.90):F3} | {Percentile(g, 0.99) - Percentile(d, 0.99):F3} | {g.Average() - d.Average():F3} |");
        Console.WriteLine();
        Console.WriteLine($"p99 added {Percentile(g, 0.99) - Percentile(d, 0.99):F2} ms (target < 10 ms); gateway/direct p50 ratio {Percentile(g, 0.50) / Percentile(d, 0.50):F2}×");
        Console.WriteLine();
    }

    private static async Task LoadAsync(Uri gateway, int clients, int seconds, bool limitsOff, string path, string? body, string target, int? serverPid)
    {
        using var client = Client(gateway, apiKey: null, connections: clients);
        await SequentialAsync(client, path, body, 50);
        var before = Memory();
        var serverBefore = ResidentKilobytes(serverPid);
        var statuses = new ConcurrentDictionary<string, int>();
        var latencies = new ConcurrentBag<double[]>();
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var mine = new List<double>();
            while (clock.Elapsed < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                string outcome;
                try
                {
                    using var response = await client.SendAsync(Request(path, body));
                    await response.Content.LoadIntoBufferAsync();
                    outcome = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    outcome = exception.GetType().Name;
                }
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                statuses.AddOrUpdate(outcome, 1, (_, count) => count + 1);
                if (outcome == "429") await Task.Delay(50); // a polite client backs off a little (it would honour Retry-After)
            }
            latencies.Add([.. mine]);
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        var after = Memory();
        await Task.Delay(TimeSpan.FromSeconds(2)); // in-flight work the server still finishes after its clients gave up
        var serverAfter = ResidentKilobytes(serverPid);
        var all = latencies.SelectMany(list => list).ToArray();
        var ok = statuses.GetValueOrDefault("200");
        Console.WriteLine($"## load: {clients} concurrent clients for {seconds} s through {target}");
        Console.WriteLine();
        Console.WriteLine($"- requests: {all.Length} in {elapsed:F1} s = {all.Length / elapsed:F0} req/s; 200s: {ok / elapsed:F0}/s");
        Console.WriteLine($"- latency: p50 {Percentile(all, 0.50):F2} ms, p99 {Percentile(all, 0.99):F2} ms, max {all.Max():F1} ms");
        Console.WriteLine($"- outcomes: {string.Join(", ", statuses.OrderBy(entry => entry.Key).Select(entry => $"{entry.Key}: {entry.Value}"))}");
        if (serverPid is { } pid) Console.WriteLine($"- server process {pid} resident memory (VmRSS): {serverBefore / 1024.0:F0} → {serverAfter / 1024.0:F0} MB");
        Console.WriteLine($"- memory (this process: clients{(target.StartsWith("the in-process", StringComparison.Ordinal) ? ", gateway and upstream" : "")}): managed heap {before.Heap / 1e6:F1} → {after.Heap / 1e6:F1} MB, working set {before.WorkingSet / 1e6:F0} → {after.WorkingSet / 1e6:F0} MB (after a full GC)");
        Console.WriteLine();
    }

    private static async Task<double[]> SequentialAsync(HttpClient client, string path, string? body, int count)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(Request(path, body));
            await response.Content.LoadIntoBufferAsync();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK)
                throw new InvalidOperationException($"{client.BaseAddress}{path.TrimStart('/')} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return times;
    }

    private static HttpRequestMessage Request(string path, string? body) => body is null
        ? new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'))
        : new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/')) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private static HttpClient Client(Uri address, string? apiKey, int connections)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
        return client;
    }

    private static async Task<RunningGateway> StartGatewayAsync(Uri upstream, bool withKey, bool limitsOff)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["ReverseProxy:Clusters:router:Destinations:router-1:Address"] = upstream.ToString(),
        };
        if (withKey)
        {
            settings["Gateway:ApiKeys:0:Name"] = "bench";
            settings["Gateway:ApiKeys:0:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(BenchKey)));
            settings["Gateway:ApiKeys:0:Tenant"] = "bench";
        }
        if (limitsOff)
        {
            foreach (var section in new[] { "DefaultRateLimit", "AnonymousRateLimit", "ApiKeys:0:RateLimit" })
            {
                if (section.StartsWith("ApiKeys", StringComparison.Ordinal) && !withKey) continue;
                settings[$"Gateway:{section}:Burst"] = "1000000000";
                settings[$"Gateway:{section}:Refill"] = "1000000000";
            }
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();

        // What services/Tsuzumi.Gateway/Program.cs does.
        builder.AddServiceDefaults();
        builder.AddGatewayServices();
        var app = builder.Build();
        app.UseGatewayPipeline();
        app.MapDefaultEndpoints();
        app.MapGatewayEndpoints();
        await app.StartAsync();

        var address = app.ListeningAddress();
        using var probe = new HttpClient { BaseAddress = address };
        var deadline = Stopwatch.StartNew();
        while ((await probe.GetAsync("health/ready")).StatusCode != HttpStatusCode.OK)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"The gateway did not turn ready within 30 s: is {upstream}health/ready answering 200?");
            await Task.Delay(100);
        }
        return new RunningGateway(app, address);
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return (GC.GetTotalMemory(forceFullCollection: true), Process.GetCurrentProcess().WorkingSet64);
    }

    private static double Percentile(double[] values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(fraction * sorted.Length) - 1))];
    }

    /// <summary>VmRSS of another process in kB, from /proc (Linux); 0 when none is named.</summary>
    private static long ResidentKilobytes(int? pid)
    {
        if (pid is null) return 0;
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line");
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record RunningGateway(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    /// <summary>Stands for the router: answers <c>/health/ready</c> and any <c>/v1/**</c> with a small JSON body at once.</summary>
    private sealed class TrivialRouter(WebApplication app, string address) : IAsyncDisposable
    {
        private static readonly byte[] Models = """{"object":"list","data":[{"id":"finance","object":"model"},{"id":"medical","object":"model"}]}"""u8.ToArray();

        public string Address { get; } = address;

        public static async Task<TrivialRouter> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapGet("/health/ready", () => "Healthy");
            app.Map("/v1/{**rest}", async (HttpContext context) =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(Models);
            });
            await app.StartAsync();
            return new TrivialRouter(app, app.ListeningAddress().ToString());
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
