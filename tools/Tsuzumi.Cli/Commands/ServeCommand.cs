using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Tsuzumi.Catalog;
using Tsuzumi.Cli.Serving;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi serve</c>: the embedded constellation (gateway, router, one silo, in-memory bus) until Ctrl-C.</summary>
internal static class ServeCommand
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = $"The catalog (default: {CatalogLocation.Default} here or above)" };
        var urls = new Option<string>("--urls") { Description = "Where the gateway listens (loopback only without API keys)", DefaultValueFactory = _ => DefaultUrl };
        var verbose = new Option<bool>("--verbose") { Description = "Log at Information level instead of Warning" };
        var command = new Command("serve", "Run the constellation in one process: gateway, router and a silo with the catalog's specialists")
        {
            config, urls, verbose,
        };
        command.SetAction((parse, cancellation) =>
            // Ctrl-C / SIGTERM drain in-flight requests; that can take longer than System.CommandLine waits.
            Interruptible.RunAsync("tsuzumi serve", cancellation, stop =>
                ServeAsync(parse.GetValue(config), parse.GetValue(urls)!, parse.GetValue(verbose), stop).GetAwaiter().GetResult()));
        return command;
    }

    private static async Task<int> ServeAsync(string? config, string urls, bool verbose, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var catalog = CatalogLocation.Resolve(config);
            await using var constellation = await EmbeddedConstellation.StartAsync(catalog, urls, verbose ? LogLevel.Information : LogLevel.Warning, stop);
            await constellation.WaitUntilReadyAsync(TimeSpan.FromMinutes(2), stop);
            Console.Error.WriteLine($"tsuzumi serve: ready in {clock.Elapsed.TotalSeconds:0.0} s at {constellation.GatewayAddress} (catalog {catalog})");
            Console.Error.WriteLine($"  try: curl -s {constellation.GatewayAddress}v1/ask -H 'content-type: application/json' -d '{{\"query\": \"What is a dividend?\"}}'");
            Console.Error.WriteLine("  Ctrl-C stops after in-flight requests finish.");
            await constellation.WaitForShutdownAsync(stop);
            Console.Error.WriteLine("tsuzumi serve: stopping");
            return 130; // serve only ends on Ctrl-C or SIGTERM: the conventional status after SIGINT
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("tsuzumi serve: stopped before it was ready");
            return 130;
        }
        catch (Exception error) when (error is FileNotFoundException or CatalogException or InvalidOperationException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"tsuzumi serve: {error.Message}");
            return 2;
        }
    }
}
