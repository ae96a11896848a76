namespace Tsuzumi.Router.Api.OpenAi;

public sealed record OpenAiUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record ChatCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, OpenAiUsage Usage);

public sealed record ChatChoice(int Index, AssistantMessage Message, string FinishReason);

public sealed record AssistantMessage(string Role, string Content);

public sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChunkChoice> Choices, OpenAiUsage? Usage = null);

/// <summary>finish_reason is written as null until the last chunk, as OpenAI does.</summary>
public sealed record ChunkChoice(int Index, ChunkDelta Delta, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ChunkDelta(string? Role = null, string? Content = null);

public sealed record TextCompletion(string Id, string Object, long Created, string Model, IReadOnlyList<TextChoice> Choices, OpenAiUsage Usage);

public sealed record TextChoice(string Text, int Index, string FinishReason, object? Logprobs = null);

public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

public sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy);
