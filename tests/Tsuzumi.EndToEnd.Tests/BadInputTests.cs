using System.Net;
using System.Text;

namespace Tsuzumi.EndToEnd.Tests;

/// <summary>
/// Bad input through the gateway: each case gets its proper status and a problem+json body, and the constellation
/// stays ready afterwards (a good question is still answered).
/// </summary>
[Collection(ConstellationCollection.Name)]
public sealed class BadInputTests(ConstellationFixture constellation)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public enum Caller { Public, Anonymous, WrongKey }

    public sealed record BadRequest(string Path, byte[] Body, Caller Caller, HttpStatusCode Expected);

    private static readonly Dictionary<string, BadRequest> Cases = new()
    {
        ["invalid JSON"] = Ask("{\"query\": \"What is a dividend?\"", HttpStatusCode.BadRequest),
        ["query of the wrong type"] = Ask("{\"query\": 42}", HttpStatusCode.BadRequest),
        ["maxTokens of the wrong type"] = Ask("{\"query\": \"What is a dividend?\", \"maxTokens\": \"many\"}", HttpStatusCode.BadRequest),
        ["empty query"] = Ask("{\"query\": \"\"}", HttpStatusCode.BadRequest),
        ["blank query"] = Ask("{\"query\": \"   \"}", HttpStatusCode.BadRequest),
        ["empty body"] = Ask("", HttpStatusCode.BadRequest),
        ["huge body (2 MiB)"] = Ask("{\"query\": \"" + new string('a', 2 * 1024 * 1024) + "\"}", HttpStatusCode.RequestEntityTooLarge),
        ["invalid UTF-8"] = new("v1/ask", [.. "{\"query\": \""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8], Caller.Public, HttpStatusCode.BadRequest),
        ["unknown specialist"] = Ask("{\"query\": \"What is a dividend?\", \"specialists\": [\"astrology\"]}", HttpStatusCode.NotFound),
        ["unknown model"] = Chat("{\"model\": \"gpt-17\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", HttpStatusCode.NotFound),
        ["negative maxTokens"] = Ask("{\"query\": \"What is a dividend?\", \"maxTokens\": -5}", HttpStatusCode.BadRequest),
        ["absurd maxTokens"] = Ask("{\"query\": \"What is a dividend?\", \"maxTokens\": 2000000000}", HttpStatusCode.BadRequest),
        ["absurd max_tokens in chat"] = Chat("{\"model\": \"finance\", \"max_tokens\": 99999999, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", HttpStatusCode.BadRequest),
        ["missing key"] = Ask("{\"query\": \"What is a dividend?\"}", HttpStatusCode.Unauthorized, Caller.Anonymous),
        ["wrong key"] = Ask("{\"query\": \"What is a dividend?\"}", HttpStatusCode.Unauthorized, Caller.WrongKey),
        ["another tenant's specialist"] = Ask("{\"query\": \"When is the expense deadline?\", \"specialists\": [\"org-acme\"]}", HttpStatusCode.NotFound),
        ["another tenant's model"] = Chat("{\"model\": \"org-acme\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", HttpStatusCode.NotFound),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_gets_a_problem_and_the_server_stays_healthy(string name)
    {
        var bad = Cases[name];
        using var client = constellation.Client(bad.Caller switch
        {
            Caller.Public => constellation.PublicKey,
            Caller.WrongKey => "wrong-" + constellation.PublicKey,
            _ => null,
        });
        using var content = new ByteArrayContent(bad.Body);
        content.Headers.ContentType = new("application/json");

        // Expect: 100-continue, as HTTP clients that send large bodies do: the gateway refuses an oversize body by its
        // declared length without reading it, and a client that streams it regardless sees the connection closed.
        using var request = new HttpRequestMessage(HttpMethod.Post, bad.Path) { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request, Cancellation);

        await Problem.AssertAsync(response, bad.Expected);
        using var health = constellation.Client(key: null);
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("health/ready", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task After_the_whole_battery_a_good_question_is_still_answered()
    {
        foreach (var name in Cases.Keys) await Bad_input_gets_a_problem_and_the_server_stays_healthy(name);
        using var client = constellation.Client(constellation.PublicKey);

        using var response = await client.PostAsync("v1/ask",
            new StringContent("{\"query\": \"What is a dividend?\", \"maxTokens\": 8}", Encoding.UTF8, "application/json"), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static BadRequest Ask(string json, HttpStatusCode expected, Caller caller = Caller.Public) =>
        new("v1/ask", Encoding.UTF8.GetBytes(json), caller, expected);

    private static BadRequest Chat(string json, HttpStatusCode expected) =>
        new("v1/chat/completions", Encoding.UTF8.GetBytes(json), Caller.Public, expected);
}
