using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tsuzumi.EndToEnd.Tests;

/// <summary>Issue "7 · Gateway": the constellation's API as a caller sees it, through the gateway, with API keys.</summary>
[Collection(ConstellationCollection.Name)]
public sealed class GatewayScenarioTests(ConstellationFixture constellation)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_routed_finance_question_gets_an_answer_with_a_finance_contribution()
    {
        using var client = constellation.Client(constellation.PublicKey);

        using var response = await client.PostAsJsonAsync("v1/ask", new { query = "What is a dividend?", maxTokens = 24 }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.False(string.IsNullOrWhiteSpace(body["answer"]!.GetValue<string>()));
        var finance = Contributions(body).Single(contribution => contribution["specialist"]!.GetValue<string>() == "finance");
        Assert.Equal("ok", finance["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(finance["answer"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_named_specialist_answers_alone()
    {
        using var client = constellation.Client(constellation.PublicKey);

        using var response = await client.PostAsJsonAsync("v1/ask", new { query = "What is a dividend?", specialists = new[] { "medical" }, maxTokens = 16 }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var only = Assert.Single(Contributions(await Json(response)));
        Assert.Equal("medical", only["specialist"]!.GetValue<string>());
        Assert.Equal("ok", only["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chat_completions_stream_server_sent_events_ending_in_done()
    {
        using var client = constellation.Client(constellation.PublicKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new
            {
                model = "finance",
                stream = true,
                max_tokens = 16,
                messages = new[] { new { role = "user", content = "What is compound interest?" } },
            }),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var data = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancellation));
        while (await reader.ReadLineAsync(Cancellation) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line["data: ".Length..]);
        }
        Assert.Equal("[DONE]", data[^1]);
        var chunks = data[..^1].Select(chunk => JsonNode.Parse(chunk)!).ToList();
        Assert.True(chunks.Count >= 3, $"expected a role chunk, content and a finish chunk; got {chunks.Count}");
        Assert.All(chunks, chunk => Assert.Equal("chat.completion.chunk", chunk["object"]!.GetValue<string>()));
        var text = string.Concat(chunks.SelectMany(chunk => chunk["choices"]!.AsArray())
            .Select(choice => choice!["delta"]?["content"]?.GetValue<string>() ?? ""));
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Contains(chunks, chunk => chunk["choices"]!.AsArray().Any(choice => choice!["finish_reason"] is JsonValue));
    }

    [Fact]
    public async Task The_acme_key_sees_and_uses_the_acme_specialist()
    {
        using var acme = constellation.Client(constellation.AcmeKey);

        Assert.Contains("org-acme", await ModelIds(acme));
        Assert.Contains("org-acme", await SpecialistIds(acme));
        using var asked = await acme.PostAsJsonAsync("v1/ask", new { query = "When is the expense report deadline?", specialists = new[] { "org-acme" }, maxTokens = 16 }, Cancellation);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Equal("org-acme", Assert.Single(Contributions(await Json(asked)))["specialist"]!.GetValue<string>());
        using var chat = await acme.PostAsJsonAsync("v1/chat/completions", ChatRequest("org-acme", "How many days of paid leave do I get?"), Cancellation);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task A_public_caller_cannot_see_or_use_the_acme_specialist()
    {
        using var publicCaller = constellation.Client(constellation.PublicKey);

        Assert.DoesNotContain("org-acme", await ModelIds(publicCaller));
        Assert.DoesNotContain("org-acme", await SpecialistIds(publicCaller));
        Assert.Contains("finance", await ModelIds(publicCaller));
        using var asked = await publicCaller.PostAsJsonAsync("v1/ask", new { query = "When is the expense report deadline?", specialists = new[] { "org-acme" } }, Cancellation);
        await Problem.AssertAsync(asked, HttpStatusCode.NotFound);
        using var chat = await publicCaller.PostAsJsonAsync("v1/chat/completions", ChatRequest("org-acme", "How many days of paid leave do I get?"), Cancellation);
        await Problem.AssertAsync(chat, HttpStatusCode.NotFound);
        using var model = await publicCaller.GetAsync("v1/models/org-acme", Cancellation);
        await Problem.AssertAsync(model, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_key_over_its_rate_limit_gets_429_with_retry_after()
    {
        using var client = constellation.Client(constellation.TinyLimitKey);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        // Burst 2, one more per hour: within four requests one is refused.
        for (var attempt = 0; attempt < 4 && limited is null; attempt++)
        {
            var response = await client.GetAsync("v1/specialists", Cancellation);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            else response.Dispose();
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without a positive Retry-After");
            await Problem.AssertAsync(limited, HttpStatusCode.TooManyRequests);
        }
        // Other keys keep their own buckets.
        using var other = constellation.Client(constellation.PublicKey);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("v1/specialists", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_changes_the_catalog_and_the_change_takes_effect_without_a_restart()
    {
        var changed = WithExtraSpecialist(constellation.OriginalCatalog, "travel-e2e");
        using var acme = constellation.Client(constellation.AcmeKey);
        using var admin = constellation.Client(constellation.AcmeAdminKey);

        using var refused = await acme.PutAsync("v1/admin/catalog", Utf8Json(changed), Cancellation);
        await Problem.AssertAsync(refused, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("travel-e2e", await SpecialistIds(acme));

        try
        {
            using var accepted = await admin.PutAsync("v1/admin/catalog", Utf8Json(changed), Cancellation);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Contains("travel-e2e", await SpecialistIds(acme));
            using var publicCaller = constellation.Client(constellation.PublicKey);
            Assert.Contains("travel-e2e", await ModelIds(publicCaller));
        }
        finally
        {
            using var restored = await admin.PutAsync("v1/admin/catalog", Utf8Json(constellation.OriginalCatalog), Cancellation);
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }
        Assert.DoesNotContain("travel-e2e", await SpecialistIds(acme));
    }

    [Fact]
    public async Task A_missing_or_wrong_key_is_401_with_a_bearer_challenge()
    {
        using var anonymous = constellation.Client(key: null);
        using var wrong = constellation.Client("not-a-key-anyone-was-given");

        foreach (var client in new[] { anonymous, wrong })
        {
            using var response = await client.GetAsync("v1/models", Cancellation);
            await Problem.AssertAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains(response.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
        }
    }

    internal static object ChatRequest(string model, string question) => new
    {
        model,
        max_tokens = 16,
        messages = new[] { new { role = "user", content = question } },
    };

    private static StringContent Utf8Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string WithExtraSpecialist(string catalog, string id)
    {
        var root = JsonNode.Parse(catalog)!;
        var specialists = root["specialists"]!.AsArray();
        var general = specialists.Single(specialist => specialist!["id"]!.GetValue<string>() == "general")!;
        var extra = general.DeepClone();
        extra["id"] = id;
        extra["description"] = "Travel tips for the end-to-end test: trains, hotels, sightseeing.";
        extra["examples"] = new JsonArray("Which train goes to Kyoto?", "Where should I stay in Osaka?");
        extra["isFallback"] = false;
        specialists.Add(extra);
        return root.ToJsonString();
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancellation))!;

    private static List<JsonNode> Contributions(JsonNode body) => [.. body["contributions"]!.AsArray().Select(contribution => contribution!)];

    private static async Task<List<string>> ModelIds(HttpClient client)
    {
        var body = await client.GetFromJsonAsync<JsonNode>("v1/models", Cancellation);
        return body!["data"]!.AsArray().Select(model => model!["id"]!.GetValue<string>()).ToList();
    }

    private static async Task<List<string>> SpecialistIds(HttpClient client)
    {
        var body = await client.GetFromJsonAsync<JsonNode>("v1/specialists", Cancellation);
        return body!["specialists"]!.AsArray().Select(specialist => specialist!["id"]!.GetValue<string>()).ToList();
    }
}

/// <summary>Every error a caller gets is problem+json whose status matches the response's.</summary>
internal static class Problem
{
    public static async Task AssertAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)expected, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.GetValue<string>()), $"problem without a title: {body}");
    }
}
