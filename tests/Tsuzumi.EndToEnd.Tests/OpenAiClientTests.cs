using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace Tsuzumi.EndToEnd.Tests;

/// <summary>The gateway as the official OpenAI .NET SDK and Microsoft.Extensions.AI see it, with a real API key.</summary>
[Collection(ConstellationCollection.Name)]
public sealed class OpenAiClientTests(ConstellationFixture constellation)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_OpenAI_SDK_gets_a_routed_completion()
    {
        var completion = (await Chat("constellation", constellation.PublicKey).CompleteChatAsync(
            [new UserChatMessage("What is a dividend?")], new ChatCompletionOptions { MaxOutputTokenCount = 16 }, Cancellation)).Value;

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
    }

    [Fact]
    public async Task The_OpenAI_SDK_streams_a_specialist_answer()
    {
        var pieces = new List<string>();
        OpenAI.Chat.ChatFinishReason? finish = null;
        await foreach (var update in Chat("medical", constellation.PublicKey).CompleteChatStreamingAsync(
            [new UserChatMessage("What are the symptoms of influenza?")], new ChatCompletionOptions { MaxOutputTokenCount = 16 }, Cancellation))
        {
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text));
            finish ??= update.FinishReason;
        }

        Assert.True(pieces.Count > 1, $"expected the answer in several pieces, got {pieces.Count}");
        Assert.False(string.IsNullOrWhiteSpace(string.Concat(pieces)));
        Assert.NotNull(finish);
    }

    [Fact]
    public async Task The_OpenAI_SDK_lists_models_by_tenant_and_reports_a_hidden_one_as_not_found()
    {
        var publicModels = (await Models(constellation.PublicKey).GetModelsAsync(Cancellation)).Value.Select(model => model.Id).ToList();
        var acmeModels = (await Models(constellation.AcmeKey).GetModelsAsync(Cancellation)).Value.Select(model => model.Id).ToList();

        Assert.Contains("constellation", publicModels);
        Assert.DoesNotContain("org-acme", publicModels);
        Assert.Contains("org-acme", acmeModels);
        var hidden = await Assert.ThrowsAsync<ClientResultException>(() =>
            Chat("org-acme", constellation.PublicKey).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Cancellation));
        Assert.Equal(404, hidden.Status);
    }

    [Fact]
    public async Task The_OpenAI_SDK_with_a_wrong_key_gets_401()
    {
        var refused = await Assert.ThrowsAsync<ClientResultException>(() =>
            Chat("finance", "sk-not-ours").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Cancellation));

        Assert.Equal(401, refused.Status);
    }

    [Fact]
    public async Task Microsoft_Extensions_AI_gets_a_response_and_a_stream()
    {
        IChatClient routed = Chat("constellation", constellation.AcmeKey).AsIChatClient();
        IChatClient acme = Chat("org-acme", constellation.AcmeKey).AsIChatClient();
        var options = new ChatOptions { MaxOutputTokens = 16 };

        var response = await routed.GetResponseAsync("How does compound interest work?", options, Cancellation);
        var streamed = new List<string>();
        await foreach (var update in acme.GetStreamingResponseAsync("When is the expense report deadline?", options, Cancellation))
            streamed.Add(update.Text);

        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.False(string.IsNullOrWhiteSpace(string.Concat(streamed)));
    }

    private OpenAIClientOptions Options() => new() { Endpoint = new Uri(constellation.GatewayAddress, "v1") };

    private ChatClient Chat(string model, string key) => new(model, new ApiKeyCredential(key), Options());

    private OpenAIModelClient Models(string key) => new(new ApiKeyCredential(key), Options());
}
