using System.CommandLine;
using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Routing.Evaluation;

namespace Tsuzumi.Cli.Commands;

/// <summary>
/// <c>tsuzumi eval routing</c>: runs the specialist router over labelled routing sets and prints top-1 accuracy,
/// multi-domain recall, out-of-domain fallback, tenant leaks, decision latency and the embedding/lexical ablation.
/// </summary>
internal static class RoutingEvalCommand
{
    private const string SetFolder = "tests/Tsuzumi.Router.Tests/Routing";

    private static readonly string[] DefaultSets = ["routing-set.jsonl", "routing-heldout.jsonl", "routing-heldout-2.jsonl", "routing-heldout-3.jsonl", "routing-heldout-4.jsonl", "routing-heldout-5.jsonl", "routing-heldout-6.jsonl", "routing-heldout-7.jsonl", "routing-heldout-8.jsonl", "routing-heldout-9.jsonl", "routing-heldout-10.jsonl", "routing-heldout-11.jsonl", "routing-heldout-12.jsonl", "routing-heldout-13.jsonl", "routing-heldout-14.jsonl", "routing-heldout-15.jsonl", "routing-heldout-16.jsonl", "routing-heldout-17.jsonl", "routing-heldout-18.jsonl", "routing-heldout-19.jsonl", "routing-heldout-20.jsonl", "routing-heldout-21.jsonl"];

    public static Command Create()
    {
        var catalog = new Option<string?>("--catalog") { Description = "Catalog file (default: config/constellation.json of this repository)" };
        var sets = new Option<string[]>("--set")
        {
            Description = $"Labelled JSON-lines set (repeatable; default: the tuning set and the seven held-out sets in {SetFolder})",
            AllowMultipleArgumentsPerToken = false,
        };
        var tenant = new Option<string?>("--tenant") { Description = "Route every query as this tenant instead of the tenant each query names" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of a table" };
        var misses = new Option<bool>("--misses") { Description = "List the queries routed wrongly under the table" };

        var command = new Command("routing", "Evaluate the specialist router on labelled routing sets") { catalog, sets, tenant, json, misses };
        command.SetAction(parse =>
        {
            try
            {
                var catalogPath = parse.GetValue(catalog) ?? Path.Combine(RepositoryRoot(), "config", "constellation.json");
                var loaded = CatalogLoader.Load(catalogPath, verifyFiles: false);
                foreach (var problem in loaded.Problems) Console.Error.WriteLine($"tsuzumi eval routing: catalog: {problem}");
                var setPaths = parse.GetValue(sets) is { Length: > 0 } given
                    ? given
                    : DefaultSets.Select(name => Path.Combine(RepositoryRoot(), SetFolder, name)).ToArray();
                var labelled = setPaths.Select(RoutingSet.Load).ToArray();
                if (parse.GetValue(tenant) is { } forced && string.IsNullOrWhiteSpace(forced)) throw new ArgumentException("--tenant must not be empty");

                Console.Error.WriteLine("tsuzumi eval routing: loading the embedding model…");
                using var embedder = new MiniLmSentenceEmbedder();
                var report = RoutingReport.Run(loaded.Catalog, embedder, labelled, parse.GetValue(tenant), embeddingCache: new RoutingEmbeddingCache(RoutingEmbeddingCache.DefaultPath));
                Console.Out.Write(parse.GetValue(json) ? report.ToJson() + Environment.NewLine : report.ToText(parse.GetValue(misses)));
                return 0;
            }
            catch (Exception error) when (error is CatalogException or InvalidDataException or ArgumentException)
            {
                Console.Error.WriteLine($"tsuzumi eval routing: {error.Message}");
                return 2;
            }
        });
        return command;
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Tsuzumi.Constellation.sln"))) return directory.FullName;
            }
        }
        throw new ArgumentException("no Tsuzumi.Constellation.sln above this program or the current folder; pass --catalog and --set");
    }
}
