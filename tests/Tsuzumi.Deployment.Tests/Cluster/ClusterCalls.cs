using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>The HTTP calls the scenarios make: through the gateway as a client would, and to a silo's own endpoints.</summary>
internal static class ClusterCalls
{
    /// <summary>A question each specialist of config/constellation.json answers (org-acme is tenant acme's, the dev key's tenant).</summary>
    public static readonly IReadOnlyDictionary<string, string> Questions = new Dictionary<string, string>
    {
        ["finance"] = "What is a dividend?",
        ["medical"] = "What is a normal body temperature?",
        ["general"] = "Why is the sky blue?",
        ["org-acme"] = "When is the expense report deadline?",
    };

    /// <summary>Short answers: the drill is about the cluster, not the text.</summary>
    public const int MaxTokens = 16;

    /// <summary><c>POST /v1/ask</c>, routed when <paramref name="specialist"/> is null.</summary>
    public static async Task<Answer> AskAsync(HttpClient client, string query, string? specialist, int deadlineMs, CancellationToken cancellation)
    {
        var body = new JsonObject { ["query"] = query, ["maxTokens"] = MaxTokens, ["deadlineMs"] = deadlineMs };
        if (specialist is not null) body["specialists"] = new JsonArray(specialist);
        using var response = await client.PostAsJsonAsync("v1/ask", body, cancellation);
        var text = await response.Content.ReadAsStringAsync(cancellation);
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }

    /// <summary>The specialists active on one silo, as its <c>GET /silo/specialists</c> reports them.</summary>
    public static async Task<SiloSpecialists> SpecialistsOnAsync(HttpClient direct, ServiceProcess silo, CancellationToken cancellation)
    {
        var json = JsonNode.Parse(await direct.GetStringAsync(new Uri(silo.BaseAddress, "silo/specialists"), cancellation))!;
        var specialists = json["specialists"]!.AsArray()
            .ToDictionary(specialist => specialist!["specialistId"]!.GetValue<string>(), specialist => specialist!["requests"]!.GetValue<long>());
        return new SiloSpecialists(silo.Name, json["silo"]!.GetValue<string>(), specialists);
    }

    /// <summary>One answer of the router's API, read but not yet judged.</summary>
    public sealed record Answer(HttpStatusCode Status, string? MediaType, string Body)
    {
        private readonly Lazy<JsonNode?> json = new(() => Body.Length > 0 && MediaType is not null && MediaType.Contains("json", StringComparison.Ordinal) ? JsonNode.Parse(Body) : null);

        /// <summary>The body parsed once; null when it is not JSON.</summary>
        public JsonNode? Json => json.Value;

        public bool IsProblem => MediaType == "application/problem+json";

        public bool Degraded => Json?["degraded"]?.GetValue<bool>() ?? false;

        /// <summary>How <paramref name="specialist"/>'s part ended (ok, failed, timeout), from the answer or the problem's evidence.</summary>
        public string? StatusOf(string specialist) => Json?["contributions"]?.AsArray()
            .FirstOrDefault(contribution => contribution?["specialist"]?.GetValue<string>() == specialist)?["status"]?.GetValue<string>();

        public override string ToString() => $"{(int)Status} {MediaType}: {Body}";
    }

    /// <summary>What one silo hosts: specialist id → queries its activation has served.</summary>
    public sealed record SiloSpecialists(string Name, string SiloAddress, IReadOnlyDictionary<string, long> Specialists);
}
