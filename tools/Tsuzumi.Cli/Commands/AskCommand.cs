using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tsuzumi.Catalog;
using Tsuzumi.Cli.Serving;
using Tsuzumi.Router.Api;

namespace Tsuzumi.Cli.Commands;

/// <summary>
/// <c>tsuzumi ask "question"</c>: asks a running constellation, or, when none answers at the URL, starts the embedded
/// one in this process for the one question. Prints the combined answer and who contributed.
/// </summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var question = new Argument<string>("question") { Description = "What to ask" };
        var specialists = new Option<string?>("--specialists") { Description = "Comma-separated specialist ids (skips routing)" };
        var strategy = new Option<string?>("--strategy") { Description = "best, merge, vote or synthesize (default: by the answers' shape)" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Most tokens per specialist answer" };
        var url = new Option<string>("--url") { Description = "A running constellation's gateway", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("TSUZUMI_URL") ?? ServeCommand.DefaultUrl };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for a gateway with keys (default: $TSUZUMI_API_KEY)" };
        var config = new Option<string?>("--config") { Description = $"Catalog for the embedded constellation (default: {CatalogLocation.Default})" };
        var json = new Option<bool>("--json") { Description = "Print the API's JSON answer" };
        var command = new Command("ask", "Ask the constellation a question; uses a running server if there is one, else runs one in-process")
        {
            question, specialists, strategy, maxTokens, url, apiKey, config, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var body = new AskRequest
                {
                    Query = parse.GetValue(question),
                    Specialists = parse.GetValue(specialists)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    Strategy = parse.GetValue(strategy),
                    MaxTokens = parse.GetValue(maxTokens),
                };
                var key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("TSUZUMI_API_KEY");
                var server = new Uri(parse.GetValue(url)!.TrimEnd('/') + "/");
                EmbeddedConstellation? embedded = null;
                if (!await AnswersAsync(server, cancellation))
                {
                    var clock = Stopwatch.StartNew();
                    embedded = await EmbeddedConstellation.StartAsync(CatalogLocation.Resolve(parse.GetValue(config)), "http://127.0.0.1:0", LogLevel.Error, cancellation);
                    await embedded.WaitUntilReadyAsync(TimeSpan.FromMinutes(2), cancellation);
                    server = embedded.GatewayAddress;
                    Console.Error.WriteLine($"(no server at {parse.GetValue(url)}: started the embedded constellation in {clock.Elapsed.TotalSeconds:0.0} s)");
                }
                await using (embedded)
                {
                    return await AskAsync(server, key, body, parse.GetValue(json), cancellation);
                }
            }
            catch (Exception error) when (error is FileNotFoundException or CatalogException or InvalidOperationException or HttpRequestException or TimeoutException)
            {
                Console.Error.WriteLine($"tsuzumi ask: {error.Message}");
                return 2;
            }
        });
        return command;
    }

    private static async Task<bool> AnswersAsync(Uri server, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(1) };
        try
        {
            using var response = await http.GetAsync("health/live", cancellation);
            return response.IsSuccessStatusCode;
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<int> AskAsync(Uri server, string? key, AskRequest body, bool printJson, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(3) };
        if (!string.IsNullOrEmpty(key)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.PostAsJsonAsync("v1/ask", body, JsonSerializerOptions.Web, cancellation);
        var text = await response.Content.ReadAsStringAsync(cancellation);
        if (printJson)
        {
            Console.WriteLine(text);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        if (!response.IsSuccessStatusCode)
        {
            var problem = TryRead<ProblemView>(text);
            Console.Error.WriteLine($"tsuzumi ask: {(int)response.StatusCode} {problem?.Title ?? response.ReasonPhrase}{(problem?.Detail is { } detail ? ": " + detail : "")}");
            return 1;
        }
        var answer = TryRead<AskResponse>(text) ?? throw new InvalidOperationException("the server's answer is not an /v1/ask response");
        Console.WriteLine(answer.Answer);
        Console.WriteLine();
        Console.WriteLine($"— {answer.Strategy}{(answer.Degraded ? ", degraded" : "")} · {answer.Usage.TotalTokens} tokens");
        foreach (var part in answer.Contributions)
        {
            var score = part.RouteScore is { } route ? $"route {route:0.00}" : "named";
            var confidence = part.Confidence is { } value ? $"confidence {value:0.00}" : "";
            Console.WriteLine($"  {part.Specialist,-10} {part.Status,-9} {score,-10} {confidence,-16} {part.Tokens,4} tokens {part.LatencyMs,7:0} ms{(part.Reason is { } reason ? "  " + reason : "")}");
        }
        return 0;
    }

    private static T? TryRead<T>(string text) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record ProblemView(string? Title, string? Detail, int? Status);
}
