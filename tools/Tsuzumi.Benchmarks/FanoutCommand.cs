using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Benchmarks.Bus;
using Tsuzumi.Cli.Serving;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Benchmarks;

/// <summary>
/// <c>tsuzumi bench fanout</c> (issue "6 · Router"): (1) on the embedded constellation, end-to-end latency of
/// <c>POST /v1/ask</c> naming three specialists on one base model (strategy merge) against naming one, same prompts
/// and maxTokens, interleaved — the engine batches the three, so the ratio should stay ≤ 1.5×; (2) the bus's own cost
/// per query: a MassTransit request/response round trip with a trivial responder, in-memory against RabbitMQ.
/// </summary>
internal static class FanoutCommand
{
    private static readonly string[] Prompts =
    [
        "What is a dividend?",
        "How does compound interest work?",
        "What is an index fund?",
        "What is the P/E ratio?",
    ];

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "The catalog (default: config/constellation.json here or above)" };
        var repetitions = new Option<int>("--repetitions") { Description = "Timed asks per side (1 and 3 specialists), interleaved", DefaultValueFactory = _ => 20 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "maxTokens of every ask", DefaultValueFactory = _ => 32 };
        var roundTrips = new Option<int>("--round-trips") { Description = "Timed bus round trips per bus (0 skips the bus part)", DefaultValueFactory = _ => 2000 };
        var command = new Command("fanout", "Ask three specialists on one base model against one (p50/p95, ratio), and the bus round trip: in-memory against RabbitMQ")
        {
            config, repetitions, maxTokens, roundTrips,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(repetitions) < 2 || parse.GetValue(maxTokens) < 1 || parse.GetValue(roundTrips) < 0)
            {
                Console.Error.WriteLine("tsuzumi bench fanout: --repetitions ≥ 2, --max-tokens ≥ 1, --round-trips ≥ 0");
                return 2;
            }
            var catalog = ResolveCatalog(parse.GetValue(config));
            if (catalog is null)
            {
                Console.Error.WriteLine("tsuzumi bench fanout: no config/constellation.json here or above; name one with --config");
                return 2;
            }
            Console.Error.WriteLine($"catalog {catalog}; load average {MachineLoad.Average()}");
            await MeasureFanOutAsync(catalog, parse.GetValue(repetitions), parse.GetValue(maxTokens), cancellation);
            if (parse.GetValue(roundTrips) > 0) await MeasureBusAsync(parse.GetValue(roundTrips), cancellation);
            return 0;
        });
        return command;
    }

    private static async Task MeasureFanOutAsync(string catalog, int repetitions, int maxTokens, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        await using var constellation = await EmbeddedConstellation.StartAsync(catalog, "http://127.0.0.1:0", LogLevel.Warning, cancellation);
        await constellation.WaitUntilReadyAsync(TimeSpan.FromMinutes(2), cancellation);
        Console.Error.WriteLine($"embedded constellation ready in {clock.Elapsed.TotalSeconds:F1} s at {constellation.GatewayAddress}");

        using var http = new HttpClient { BaseAddress = constellation.GatewayAddress, Timeout = TimeSpan.FromMinutes(2) };
        // The silo's engine counters, read around every ask: whether the three asks shared decode steps or ran one after another.
        using var silo = new HttpClient { BaseAddress = constellation.RouterAddress, Timeout = TimeSpan.FromMinutes(2) };
        string[] one = ["finance"];
        string[] three = ["finance", "medical", "general"];
        // Warm-up: JIT, the adapters' first use, the engine's buffers.
        foreach (var prompt in Prompts)
        {
            await AskAsync(http, prompt, one, maxTokens, cancellation);
            await AskAsync(http, prompt, three, maxTokens, cancellation);
        }

        var single = new List<AskTiming>();
        var fanned = new List<AskTiming>();
        for (var i = 0; i < repetitions; i++)
        {
            var prompt = Prompts[i % Prompts.Length];
            // Alternate which goes first so drift in the (shared) machine's load hits both sides alike.
            if (i % 2 == 0)
            {
                single.Add(await AskCountedAsync(http, silo, prompt, one, maxTokens, cancellation));
                fanned.Add(await AskCountedAsync(http, silo, prompt, three, maxTokens, cancellation));
            }
            else
            {
                fanned.Add(await AskCountedAsync(http, silo, prompt, three, maxTokens, cancellation));
                single.Add(await AskCountedAsync(http, silo, prompt, one, maxTokens, cancellation));
            }
        }

        var s = single.Select(timing => timing.Milliseconds).ToArray();
        var f = fanned.Select(timing => timing.Milliseconds).ToArray();
        Console.WriteLine($"## fan-out: POST /v1/ask through the gateway of the embedded constellation, {repetitions} asks per side, interleaved, maxTokens {maxTokens}, strategy merge");
        Console.WriteLine();
        Console.WriteLine("| specialists | p50 ms | p95 ms | mean ms | slowest leg p50 ms | mean tokens per specialist | longest answer (tokens, mean) | engine decode steps per ask | rows per decode step |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(Row("finance", single, s));
        Console.WriteLine(Row("finance, medical, general", fanned, f));
        Console.WriteLine();
        Console.WriteLine($"ratio three/one: p50 {Percentile(f, 0.50) / Percentile(s, 0.50):F2}×, p95 {Percentile(f, 0.95) / Percentile(s, 0.95):F2}× (target ≤ 1.5×: the engine batches the three on one base model)");
        // Each repetition's two asks ran back to back: their ratio sees the same moment of a shared machine's load.
        var paired = f.Zip(s, (three, one) => three / one).ToArray();
        Console.WriteLine($"paired ratio (each repetition's three-ask time over its one-ask time): median {Percentile(paired, 0.50):F2}×, quartiles {Percentile(paired, 0.25):F2}–{Percentile(paired, 0.75):F2}×; load average at the end {MachineLoad.Average()}");
        Console.WriteLine();
    }

    private static string Row(string name, List<AskTiming> timings, double[] milliseconds) =>
        $"| {name} | {Percentile(milliseconds, 0.50):F0} | {Percentile(milliseconds, 0.95):F0} | {milliseconds.Average():F0} | {Percentile(timings.Select(timing => timing.SlowestLegMs).ToArray(), 0.50):F0} | {timings.Average(timing => timing.MeanTokens):F1} | {timings.Average(timing => timing.MaxTokens):F1} " +
        $"| {timings.Average(timing => timing.DecodeSteps):F1} | {(double)timings.Sum(timing => timing.DecodedRows) / Math.Max(1, timings.Sum(timing => timing.DecodeSteps)):F2} |";

    /// <summary>
    /// One ask, with the decode steps the silo's engines took for it (asks run one at a time, so the counters' change is
    /// this ask's): three asks that share every step take as many steps as the longest answer's tokens, not the sum.
    /// </summary>
    private static async Task<AskTiming> AskCountedAsync(HttpClient http, HttpClient silo, string prompt, string[] specialists, int maxTokens, CancellationToken cancellation)
    {
        var before = await EngineCountersAsync(silo, cancellation);
        var timing = await AskAsync(http, prompt, specialists, maxTokens, cancellation);
        var after = await EngineCountersAsync(silo, cancellation);
        return timing with { DecodeSteps = after.Steps - before.Steps, DecodedRows = after.Rows - before.Rows };
    }

    /// <summary>Decode steps and the rows they carried, summed over the silo's engines (<c>GET /silo/engines</c>).</summary>
    private static async Task<(long Steps, long Rows)> EngineCountersAsync(HttpClient silo, CancellationToken cancellation)
    {
        using var engines = JsonDocument.Parse(await silo.GetStringAsync("silo/engines", cancellation));
        long steps = 0, rows = 0;
        foreach (var engine in engines.RootElement.EnumerateArray())
        {
            var statistics = engine.GetProperty("statistics");
            var engineSteps = statistics.GetProperty("decodeSteps").GetInt64();
            steps += engineSteps;
            rows += (long)Math.Round(statistics.GetProperty("meanBatchSize").GetDouble() * engineSteps);
        }
        return (steps, rows);
    }

    private static async Task<AskTiming> AskAsync(HttpClient http, string prompt, string[] specialists, int maxTokens, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsJsonAsync("v1/ask", new { query = prompt, specialists, strategy = "merge", maxTokens, temperature = 0 }, cancellation);
        var body = await response.Content.ReadAsStringAsync(cancellation);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /v1/ask answered {(int)response.StatusCode}: {body}");

        using var answer = JsonDocument.Parse(body);
        if (answer.RootElement.GetProperty("degraded").GetBoolean())
            throw new InvalidOperationException($"a degraded answer would time less than the work asked for: {body}");
        var contributions = answer.RootElement.GetProperty("contributions").EnumerateArray().ToArray();
        var tokens = contributions.Select(contribution => contribution.GetProperty("tokens").GetInt32()).ToArray();
        if (tokens.Length != specialists.Length) throw new InvalidOperationException($"asked {specialists.Length} specialists, {tokens.Length} answered: {body}");
        // A leg is the router's send of one AskSpecialist until its answer: bus, silo and engine; the rest of the ask's time is gateway and router.
        return new AskTiming(elapsed, tokens.Average(), tokens.Max()) { SlowestLegMs = contributions.Max(contribution => contribution.GetProperty("latencyMs").GetDouble()) };
    }

    private static async Task MeasureBusAsync(int roundTrips, CancellationToken cancellation)
    {
        using var inMemory = await StartBusAsync(bus => bus.UsingInMemory((context, configure) => configure.ConfigureEndpoints(context)), cancellation);
        var (rabbitMq, node, broker, skipped) = await StartRabbitMqBusAsync(cancellation);
        try
        {
            var memoryTimes = new List<double>();
            var rabbitTimes = new List<double>();
            await RoundTripsAsync(inMemory, 200, cancellation); // warm-up
            if (rabbitMq is not null) await RoundTripsAsync(rabbitMq, 200, cancellation);
            const int rounds = 4;
            for (var round = 0; round < rounds; round++)
            {
                memoryTimes.AddRange(await RoundTripsAsync(inMemory, roundTrips / rounds, cancellation));
                if (rabbitMq is not null) rabbitTimes.AddRange(await RoundTripsAsync(rabbitMq, roundTrips / rounds, cancellation));
            }

            Console.WriteLine($"## bus round trip: MassTransit request/response with a trivial responder, {memoryTimes.Count} sequential round trips per bus in {rounds} interleaved rounds");
            Console.WriteLine();
            Console.WriteLine("| bus | p50 ms | p99 ms | mean ms |");
            Console.WriteLine("|---|---:|---:|---:|");
            var m = memoryTimes.ToArray();
            Console.WriteLine($"| in-memory | {Percentile(m, 0.50):F3} | {Percentile(m, 0.99):F3} | {m.Average():F3} |");
            if (rabbitMq is null)
            {
                Console.WriteLine();
                Console.WriteLine($"RabbitMQ skipped: {skipped}");
            }
            else
            {
                var r = rabbitTimes.ToArray();
                Console.WriteLine($"| RabbitMQ ({broker}) | {Percentile(r, 0.50):F3} | {Percentile(r, 0.99):F3} | {r.Average():F3} |");
                Console.WriteLine();
                Console.WriteLine($"RabbitMQ adds {Percentile(r, 0.50) - Percentile(m, 0.50):F2} ms at p50 and {Percentile(r, 0.99) - Percentile(m, 0.99):F2} ms at p99 per fan-out leg");
            }
            Console.WriteLine();
        }
        finally
        {
            rabbitMq?.Dispose();
            if (node is not null) await node.DisposeAsync();
        }
    }

    /// <summary>RabbitMQ from RABBITMQ_URL, else the locally installed rabbitmq-server on free loopback ports, else none and why.</summary>
    private static async Task<(RunningBus? Bus, LocalRabbitMqNode? Node, string? Broker, string? Skipped)> StartRabbitMqBusAsync(CancellationToken cancellation)
    {
        var url = Environment.GetEnvironmentVariable("RABBITMQ_URL");
        LocalRabbitMqNode? node = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            if (!File.Exists(LocalRabbitMqNode.DefaultServerPath))
                return (null, null, null, $"RABBITMQ_URL is not set and {LocalRabbitMqNode.DefaultServerPath} is not installed");
            try
            {
                node = await LocalRabbitMqNode.StartNewAsync(LocalRabbitMqNode.DefaultServerPath, TimeSpan.FromMinutes(2), cancellation);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                return (null, null, null, $"the local rabbitmq-server did not start: {error.Message}");
            }
            url = node.AmqpUri.ToString();
        }
        var host = new Uri(url);
        var bus = await StartBusAsync(configure => configure.UsingRabbitMq((context, rabbit) =>
        {
            rabbit.Host(host);
            rabbit.ConfigureEndpoints(context);
        }), cancellation);
        return (bus, node, node is null ? "RABBITMQ_URL" : "local rabbitmq-server", null);
    }

    private static async Task<RunningBus> StartBusAsync(Action<IBusRegistrationConfigurator> transport, CancellationToken cancellation)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddMassTransit(bus =>
        {
            bus.AddConsumer<BusPingConsumer>();
            transport(bus);
        });
        var host = builder.Build();
        await host.StartAsync(cancellation);
        return new RunningBus(host, host.Services.GetRequiredService<IBus>().CreateRequestClient<BusPing>(RequestTimeout.After(s: 30)));
    }

    private static async Task<double[]> RoundTripsAsync(RunningBus bus, int count, CancellationToken cancellation)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var answer = await bus.Client.GetResponse<BusPong>(new BusPing(i), cancellation);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (answer.Message.Sequence != i) throw new InvalidOperationException($"round trip {i} was answered for {answer.Message.Sequence}");
        }
        return times;
    }

    private static string? ResolveCatalog(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "config", "constellation.json");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static double Percentile(double[] values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(fraction * sorted.Length) - 1))];
    }

    private sealed record AskTiming(double Milliseconds, double MeanTokens, int MaxTokens)
    {
        public double SlowestLegMs { get; init; }

        public long DecodeSteps { get; init; }

        public long DecodedRows { get; init; }
    }

    private sealed record RunningBus(IHost Host, IRequestClient<BusPing> Client) : IDisposable
    {
        public void Dispose()
        {
            Host.StopAsync().GetAwaiter().GetResult();
            Host.Dispose();
        }
    }
}
