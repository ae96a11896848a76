using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Tests.FanOut;
using Xunit;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>The OpenAI-compatible API as the official OpenAI .NET SDK and Microsoft.Extensions.AI see it, streaming included.</summary>
public sealed class OpenAiClientTests : IAsyncLifetime
{
    private readonly ScriptedSpecialists specialists = ScriptedSpecialists.AllAnswering()
        .Play("medical", new SpecialistScript { Answer = "Rest, drink water and see a doctor if the fever lasts.", MeanLogProbability = -0.6 })
        .Play("org-acme", new SpecialistScript { Answer = "Expense reports are due on the fifth." })
        .Play("finance", new SpecialistScript { MeanLogProbability = -0.4 });

    private RouterTestHost host = null!;

    public async ValueTask InitializeAsync()
    {
        host = await RouterTestHost.StartAsync(specialists);
        // A busy specialist only these tests know.
        specialists.Play("general", SpecialistScript.Fails(SpecialistFailureCodes.Busy));
    }

    public async ValueTask DisposeAsync() => await host.DisposeAsync();

    private OpenAIClientOptions Options(string? tenant = null)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") };
        if (tenant is not null) options.AddPolicy(new TenantHeader(tenant), PipelinePosition.PerCall);
        return options;
    }

    private ChatClient Chat(string model, string? tenant = null) => new(model, new ApiKeyCredential("unused"), Options(tenant));

    [Fact]
    public async Task The_sdk_asks_the_constellation_and_gets_the_routed_answer_with_usage()
    {
        ChatCompletion completion = await Chat("constellation").CompleteChatAsync(
            [new UserChatMessage("dividend interest rates")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("finance on: dividend interest rates", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("constellation", completion.Model);
        Assert.True(completion.Usage.OutputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task The_sdk_streams_one_specialists_tokens_as_they_come()
    {
        var pieces = new List<string>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat("medical").CompleteChatStreamingAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("I have a fever")], cancellationToken: TestContext.Current.CancellationToken))
        {
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.True(pieces.Count(piece => piece.Length > 0) > 5, $"only {pieces.Count} pieces: the answer was not streamed");
        Assert.Equal("Rest, drink water and see a doctor if the fever lasts.", string.Concat(pieces));
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task The_sdk_streams_the_constellations_combined_answer_in_pieces()
    {
        var pieces = new List<string>();
        await foreach (var update in Chat("constellation").CompleteChatStreamingAsync(
            [new UserChatMessage("what is a dividend when I have a fever")], cancellationToken: TestContext.Current.CancellationToken))
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text));

        var answer = string.Concat(pieces);
        Assert.True(pieces.Count > 3);
        Assert.Equal("## finance\nfinance on: what is a dividend when I have a fever\n\n## medical\nRest, drink water and see a doctor if the fever lasts.", answer);
    }

    [Fact]
    public async Task Models_list_the_constellation_and_the_callers_specialists_only()
    {
        var publicModels = (await new OpenAIModelClient(new ApiKeyCredential("unused"), Options()).GetModelsAsync(TestContext.Current.CancellationToken)).Value;
        var acmeModels = (await new OpenAIModelClient(new ApiKeyCredential("unused"), Options("acme")).GetModelsAsync(TestContext.Current.CancellationToken)).Value;

        Assert.Equal(["constellation", "finance", "general", "medical"], publicModels.Select(model => model.Id).Order());
        Assert.Contains("org-acme", acmeModels.Select(model => model.Id));
    }

    [Fact]
    public async Task Another_tenants_specialist_is_a_404_for_the_sdk_and_streams_for_its_own_tenant()
    {
        var refused = await Assert.ThrowsAsync<ClientResultException>(() =>
            Chat("org-acme").CompleteChatAsync([new UserChatMessage("expense deadline?")], cancellationToken: TestContext.Current.CancellationToken));
        var streamed = new StringBuilder();
        await foreach (var update in Chat("org-acme", tenant: "acme").CompleteChatStreamingAsync(
            [new UserChatMessage("expense deadline?")], cancellationToken: TestContext.Current.CancellationToken))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);

        Assert.Equal(404, refused.Status);
        Assert.Equal("Expense reports are due on the fifth.", streamed.ToString());
    }

    [Fact]
    public async Task A_specialist_that_cannot_answer_a_stream_is_an_http_error_before_any_token()
    {
        var busy = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var _ in Chat("general").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken)) { }
        });

        Assert.Equal(503, busy.Status);
    }

    [Fact]
    public async Task Microsoft_extensions_ai_gets_answers_whole_and_streamed()
    {
        IChatClient client = Chat("constellation").AsIChatClient();
        IChatClient medical = Chat("medical").AsIChatClient();

        var response = await client.GetResponseAsync("dividend interest rates", cancellationToken: TestContext.Current.CancellationToken);
        var streamed = new StringBuilder();
        var updates = 0;
        await foreach (var update in medical.GetStreamingResponseAsync("I have a fever", cancellationToken: TestContext.Current.CancellationToken))
        {
            streamed.Append(update.Text);
            updates++;
        }

        Assert.Equal("finance on: dividend interest rates", response.Text);
        Assert.True(response.Usage?.TotalTokenCount > 0);
        Assert.Equal("Rest, drink water and see a doctor if the fever lasts.", streamed.ToString());
        Assert.True(updates > 5);
    }

    [Fact]
    public async Task The_stream_is_server_sent_events_in_openais_chunk_format_ending_with_done()
    {
        using var client = host.CreateClient();

        using var response = await client.PostAsJsonAsync("v1/chat/completions", new
        {
            model = "medical",
            stream = true,
            stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "fever" } },
        }, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!).ToArray();
        Assert.All(chunks, chunk => Assert.Equal("chat.completion.chunk", (string?)chunk["object"]));
        Assert.Single(chunks.Select(chunk => (string?)chunk["id"]).Distinct());
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        Assert.Equal("stop", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.True((int)chunks[^1]["usage"]!["completion_tokens"]! > 0);
    }

    [Fact]
    public async Task Text_completions_answer_in_openais_format()
    {
        using var client = host.CreateClient();

        var completion = await client.PostOkAsync("v1/completions", new { model = "finance", prompt = "dividend", max_tokens = 16 });

        Assert.Equal("text_completion", (string?)completion["object"]);
        Assert.Equal("finance on: dividend", (string?)completion["choices"]![0]!["text"]);
        Assert.Equal(16, specialists.Received.Last(q => q.Conversation[^1].Content == "dividend").MaxTokens);
    }

    /// <summary>Plays the gateway: sets the tenant header on every request the SDK sends.</summary>
    private sealed class TenantHeader(string tenant) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(Caller.TenantHeader, tenant);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(Caller.TenantHeader, tenant);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
