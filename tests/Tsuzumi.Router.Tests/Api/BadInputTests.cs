using System.Net;
using System.Text;
using Xunit;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>Bad input gets a clear RFC 9457 problem, and the service keeps serving.</summary>
public sealed class BadInputTests(RouterHostFixture fixture) : IClassFixture<RouterHostFixture>
{
    public static TheoryData<string, string, HttpStatusCode, string> BadBodies() => new()
    {
        { "v1/ask", "{", HttpStatusCode.BadRequest, "not valid" },
        { "v1/ask", "[]", HttpStatusCode.BadRequest, "not valid" },
        { "v1/ask", "null", HttpStatusCode.BadRequest, "not null" },
        { "v1/ask", """{"query": 5}""", HttpStatusCode.BadRequest, "$.query" },
        { "v1/ask", """{"query": ""}""", HttpStatusCode.BadRequest, "query is required" },
        { "v1/ask", """{"query": "   "}""", HttpStatusCode.BadRequest, "query is required" },
        { "v1/ask", """{"query": "q", "qurey": "typo"}""", HttpStatusCode.BadRequest, "qurey" },
        { "v1/ask", """{"query": "q", "maxTokens": 0}""", HttpStatusCode.BadRequest, "maxTokens" },
        { "v1/ask", """{"query": "q", "maxTokens": -3}""", HttpStatusCode.BadRequest, "maxTokens" },
        { "v1/ask", """{"query": "q", "maxTokens": 1000000}""", HttpStatusCode.BadRequest, "maxTokens" },
        { "v1/ask", """{"query": "q", "maxTokens": "ten"}""", HttpStatusCode.BadRequest, "$.maxTokens" },
        { "v1/ask", """{"query": "q", "maxTokens": 1.5}""", HttpStatusCode.BadRequest, "$.maxTokens" },
        { "v1/ask", """{"query": "q", "temperature": -1}""", HttpStatusCode.BadRequest, "temperature" },
        { "v1/ask", """{"query": "q", "topK": -1}""", HttpStatusCode.BadRequest, "topK" },
        { "v1/ask", """{"query": "q", "strategy": "majority"}""", HttpStatusCode.BadRequest, "strategy 'majority'" },
        { "v1/ask", """{"query": "q", "deadlineMs": 0}""", HttpStatusCode.BadRequest, "deadlineMs" },
        { "v1/ask", """{"query": "q", "deadlineMs": 86400000}""", HttpStatusCode.BadRequest, "deadlineMs" },
        { "v1/ask", """{"query": "q", "specialists": ["finance", "finance"]}""", HttpStatusCode.BadRequest, "twice" },
        { "v1/ask", """{"query": "q", "specialists": [""]}""", HttpStatusCode.BadRequest, "empty" },
        { "v1/ask", """{"query": "q", "specialists": "finance"}""", HttpStatusCode.BadRequest, "$.specialists" },
        { "v1/ask", """{"query": "q", "specialists": ["astrology"]}""", HttpStatusCode.NotFound, "astrology" },
        { "v1/route", """{"query": ""}""", HttpStatusCode.BadRequest, "query" },
        { "v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}]}""", HttpStatusCode.BadRequest, "model is required" },
        { "v1/chat/completions", """{"model": "constellation", "messages": []}""", HttpStatusCode.BadRequest, "messages" },
        { "v1/chat/completions", """{"model": "constellation", "messages": [{"role": "robot", "content": "hi"}]}""", HttpStatusCode.BadRequest, "role" },
        { "v1/chat/completions", """{"model": "constellation", "messages": [{"role": "user", "content": 42}]}""", HttpStatusCode.BadRequest, "content" },
        { "v1/chat/completions", """{"model": "constellation", "messages": [{"role": "assistant", "content": "hi"}]}""", HttpStatusCode.BadRequest, "last message" },
        { "v1/chat/completions", """{"model": "constellation", "n": 3, "messages": [{"role": "user", "content": "hi"}]}""", HttpStatusCode.BadRequest, "n must be 1" },
        { "v1/chat/completions", """{"model": "constellation", "max_tokens": 0, "messages": [{"role": "user", "content": "hi"}]}""", HttpStatusCode.BadRequest, "maxTokens" },
        { "v1/chat/completions", """{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}""", HttpStatusCode.NotFound, "gpt-4o" },
        { "v1/completions", """{"model": "constellation", "prompt": "hi", "stream": true}""", HttpStatusCode.BadRequest, "stream" },
        { "v1/completions", """{"model": "constellation", "prompt": {"text": "hi"}}""", HttpStatusCode.BadRequest, "prompt" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_refused_with_a_problem_that_says_what_is_wrong(string path, string body, HttpStatusCode status, string explanation)
    {
        using var client = fixture.Host.CreateClient();

        using var response = await client.PostAsync(path, Http.Json(body), TestContext.Current.CancellationToken);

        var problem = await Http.ProblemAsync(response, status);
        Assert.Contains(explanation, (string?)problem["detail"]);
    }

    [Fact]
    public async Task Invalid_utf8_is_refused()
    {
        using var client = fixture.Host.CreateClient();
        var body = new ByteArrayContent([.. """{"query": "caf"""u8, 0xC3, 0x28, .. "\"}"u8]);
        body.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync("v1/ask", body, TestContext.Current.CancellationToken);

        Assert.Contains("UTF-8", (string?)(await Http.ProblemAsync(response, HttpStatusCode.BadRequest))["detail"]);
    }

    [Fact]
    public async Task An_empty_body_a_body_that_is_not_json_and_a_body_too_large_are_refused()
    {
        using var client = fixture.Host.CreateClient();

        using var empty = await client.PostAsync("v1/ask", Http.Json(""), TestContext.Current.CancellationToken);
        using var text = await client.PostAsync("v1/ask", new StringContent("query=hi", Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);
        using var huge = await client.PostAsync("v1/ask", Http.Json($$"""{"query": "{{new string('x', 300 * 1024)}}"}"""), TestContext.Current.CancellationToken);

        await Http.ProblemAsync(empty, HttpStatusCode.BadRequest);
        await Http.ProblemAsync(text, HttpStatusCode.UnsupportedMediaType);
        await Http.ProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Unknown_paths_and_methods_answer_with_problems_too()
    {
        using var client = fixture.Host.CreateClient();

        using var missing = await client.GetAsync("v1/nothing-here", TestContext.Current.CancellationToken);
        using var wrongMethod = await client.GetAsync("v1/ask", TestContext.Current.CancellationToken);

        await Http.ProblemAsync(missing, HttpStatusCode.NotFound);
        await Http.ProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task After_a_battery_of_bad_requests_the_service_still_answers()
    {
        using var client = fixture.Host.CreateClient();
        foreach (var bad in BadBodies())
            (await client.PostAsync(bad.Data.Item1, Http.Json(bad.Data.Item2), TestContext.Current.CancellationToken)).Dispose();

        var answer = await client.PostOkAsync("v1/ask", new { query = "dividend interest rates" });

        Assert.Equal("finance on: dividend interest rates", (string?)answer["answer"]);
    }
}
