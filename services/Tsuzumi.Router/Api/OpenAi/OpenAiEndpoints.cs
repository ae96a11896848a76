using System.Text;
using System.Text.Json;
using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Querying;
using Tsuzumi.Router.Streaming;
using Tsuzumi.Silo;

namespace Tsuzumi.Router.Api.OpenAi;

/// <summary>
/// The OpenAI-compatible API. Model <c>constellation</c> routes and fans out like /v1/ask; a specialist id asks that
/// specialist alone. Streaming a specialist streams its tokens from the grain; streaming the constellation streams the
/// combined answer in pieces once it exists (it is only known after aggregation).
/// </summary>
public static class OpenAiEndpoints
{
    public const string ConstellationModel = "constellation";

    private static readonly HashSet<string> Roles = ["system", "user", "assistant"];

    public static IEndpointRouteBuilder MapOpenAiEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1");
        v1.MapPost("/chat/completions", ChatCompletionsAsync);
        v1.MapPost("/completions", CompletionsAsync);
        v1.MapGet("/models", ListModels);
        v1.MapGet("/models/{id}", GetModel);
        return endpoints;
    }

    private static async Task<IResult> ChatCompletionsAsync(
        HttpContext context, QueryPipeline pipeline, ISpecialistTokenSource tokens, RequestLimits limits, TimeProvider time)
    {
        var body = await JsonBody.ReadAsync<ChatCompletionRequest>(context.Request, OpenAiJson.Options, limits.Options.MaxRequestBodyBytes, context.RequestAborted);
        if (body.Problem is not null) return body.Problem;
        var request = body.Value!;
        var generation = new GenerationOverrides(request.MaxCompletionTokens ?? request.MaxTokens, request.Temperature, request.TopK);
        var conversationProblem = ReadConversation(request.Messages, limits, out var conversation);
        var invalid = CheckModel(request.Model)
            ?? conversationProblem
            ?? limits.CheckGeneration(generation)
            ?? CheckSingleChoice(request.N);
        if (invalid is not null) return Problems.BadRequest(invalid);

        var caller = Caller.From(context);
        var model = request.Model!;
        var selection = pipeline.Select(conversation[^1].Content, caller.Tenant, model == ConstellationModel ? null : [model]);
        if (selection.Unknown is not null) return Problems.SpecialistNotFound(selection.Unknown);
        if (selection.Chosen.Count == 0) return Problems.NoSpecialistAvailable();
        limits.CheckDeadline(null, out var deadline);
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var includeUsage = request.StreamOptions?.IncludeUsage == true;

        if (request.Stream == true && model != ConstellationModel)
            return await StreamSpecialistAsync(context, tokens, model, caller.Tenant, conversation, generation, deadline, created, includeUsage);

        var outcome = await pipeline.AskAsync(
            new QueryRequest(caller.Tenant, conversation, selection.Chosen, Strategy: null, generation, deadline), context.RequestAborted);
        if (!outcome.Answered) return Problems.NoAnswer(outcome);
        var id = $"chatcmpl-{outcome.QueryId:N}";
        var usage = new OpenAiUsage(outcome.Usage.PromptTokens, outcome.Usage.CompletionTokens, outcome.Usage.TotalTokens);
        var finishReason = FinishReasonOf(outcome);
        if (request.Stream != true)
            return TypedResults.Json(
                new ChatCompletion(id, "chat.completion", created, model, [new ChatChoice(0, new AssistantMessage("assistant", outcome.Answer!), finishReason)], usage),
                OpenAiJson.Options);

        var events = new ServerSentEvents(context.Response);
        events.Start();
        var cancellation = context.RequestAborted;
        await events.WriteAsync(Chunk(id, created, model, new ChunkDelta("assistant", ""), null), cancellation);
        foreach (var piece in ServerSentEvents.Pieces(outcome.Answer!))
            await events.WriteAsync(Chunk(id, created, model, new ChunkDelta(Content: piece), null), cancellation);
        await events.WriteAsync(Chunk(id, created, model, new ChunkDelta(), finishReason), cancellation);
        if (includeUsage) await events.WriteAsync(new ChatCompletionChunk(id, "chat.completion.chunk", created, model, [], usage), cancellation);
        await events.DoneAsync(cancellation);
        return Results.Empty;
    }

    private static async Task<IResult> StreamSpecialistAsync(
        HttpContext context, ISpecialistTokenSource tokens, string specialistId, string tenant, IReadOnlyList<ChatTurn> conversation,
        GenerationOverrides generation, TimeSpan deadline, long created, bool includeUsage)
    {
        var query = new SpecialistQuery(tenant, conversation.Select(turn => new SpecialistTurn(turn.Role, turn.Content)).ToArray())
        {
            MaxTokens = generation.MaxTokens,
            Temperature = generation.Temperature,
            TopK = generation.TopK,
            Deadline = DateTimeOffset.UtcNow + deadline,
        };
        // The deadline holds for streams too: past it the grain is told to stop and the client gets what there was.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        stop.CancelAfter(deadline);
        await using var chunks = tokens.StreamAsync(specialistId, query, stop.Token).GetAsyncEnumerator(stop.Token);
        bool more;
        try
        {
            more = await chunks.MoveNextAsync();
        }
        catch (SpecialistException error)
        {
            return Problems.SpecialistFailure(error.Code, error.Message);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Problems.SpecialistFailure(SpecialistFailureCodes.DeadlineExceeded, "The specialist did not start answering before the deadline.");
        }

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var events = new ServerSentEvents(context.Response);
        events.Start();
        var cancellation = context.RequestAborted;
        await events.WriteAsync(Chunk(id, created, specialistId, new ChunkDelta("assistant", ""), null), cancellation);
        SpecialistAnswer? final = null;
        string? failure = null;
        while (more)
        {
            var chunk = chunks.Current;
            if (chunk.Text.Length > 0)
                await events.WriteAsync(Chunk(id, created, specialistId, new ChunkDelta(Content: chunk.Text), null), cancellation);
            final ??= chunk.Final;
            try
            {
                more = await chunks.MoveNextAsync();
            }
            catch (SpecialistException error)
            {
                failure = $"{error.Code}: {error.Message}";
                more = false;
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                failure = $"{SpecialistFailureCodes.DeadlineExceeded}: the deadline passed while the specialist was answering";
                more = false;
            }
        }
        if (failure is not null)
        {
            // The status line is long gone; OpenAI streams report a failure as an error event.
            await events.WriteAsync(new { error = new { message = failure, type = "specialist_error" } }, cancellation);
            return Results.Empty;
        }
        await events.WriteAsync(Chunk(id, created, specialistId, new ChunkDelta(), FinishReasonOf(final?.FinishReason)), cancellation);
        if (includeUsage && final is not null)
            await events.WriteAsync(new ChatCompletionChunk(id, "chat.completion.chunk", created, specialistId, [],
                new OpenAiUsage(final.PromptTokens, final.CompletionTokens, final.PromptTokens + final.CompletionTokens)), cancellation);
        await events.DoneAsync(cancellation);
        return Results.Empty;
    }

    private static async Task<IResult> CompletionsAsync(HttpContext context, QueryPipeline pipeline, RequestLimits limits, TimeProvider time)
    {
        var body = await JsonBody.ReadAsync<CompletionRequest>(context.Request, OpenAiJson.Options, limits.Options.MaxRequestBodyBytes, context.RequestAborted);
        if (body.Problem is not null) return body.Problem;
        var request = body.Value!;
        var generation = new GenerationOverrides(request.MaxTokens, request.Temperature, request.TopK);
        var promptProblem = ReadPrompt(request.Prompt, limits, out var prompt);
        var invalid = CheckModel(request.Model)
            ?? promptProblem
            ?? limits.CheckGeneration(generation)
            ?? CheckSingleChoice(request.N)
            ?? (request.Stream == true ? "stream is supported on /v1/chat/completions, not on /v1/completions." : null);
        if (invalid is not null) return Problems.BadRequest(invalid);

        var caller = Caller.From(context);
        var model = request.Model!;
        var selection = pipeline.Select(prompt, caller.Tenant, model == ConstellationModel ? null : [model]);
        if (selection.Unknown is not null) return Problems.SpecialistNotFound(selection.Unknown);
        if (selection.Chosen.Count == 0) return Problems.NoSpecialistAvailable();
        limits.CheckDeadline(null, out var deadline);
        // Specialists answer chat turns (their system prompt comes first), so the prompt is the user's turn.
        var outcome = await pipeline.AskAsync(
            new QueryRequest(caller.Tenant, [new ChatTurn("user", prompt)], selection.Chosen, Strategy: null, generation, deadline), context.RequestAborted);
        if (!outcome.Answered) return Problems.NoAnswer(outcome);
        return TypedResults.Json(new TextCompletion(
            $"cmpl-{outcome.QueryId:N}", "text_completion", time.GetUtcNow().ToUnixTimeSeconds(), model,
            [new TextChoice(outcome.Answer!, 0, FinishReasonOf(outcome))],
            new OpenAiUsage(outcome.Usage.PromptTokens, outcome.Usage.CompletionTokens, outcome.Usage.TotalTokens)), OpenAiJson.Options);
    }

    private static IResult ListModels(HttpContext context, ICatalogSource catalog) =>
        TypedResults.Json(new ModelList("list", [
            new ModelEntry(ConstellationModel, "model", 0, "tsuzumi"),
            .. catalog.Current.VisibleTo(Caller.From(context).Tenant).Select(specialist => new ModelEntry(specialist.Id, "model", 0, "tsuzumi")),
        ]), OpenAiJson.Options);

    private static IResult GetModel(string id, HttpContext context, ICatalogSource catalog) =>
        id == ConstellationModel || catalog.Current.FindSpecialist(id)?.IsVisibleTo(Caller.From(context).Tenant) == true
            ? TypedResults.Json(new ModelEntry(id, "model", 0, "tsuzumi"), OpenAiJson.Options)
            : Problems.SpecialistNotFound(id);

    private static string? CheckModel(string? model) =>
        string.IsNullOrWhiteSpace(model) ? $"model is required: '{ConstellationModel}' or a specialist id (GET /v1/models lists them)." : null;

    private static string? CheckSingleChoice(int? n) => n is null or 1 ? null : $"n must be 1, not {n}.";

    private static string? ReadConversation(IReadOnlyList<ChatMessage>? messages, RequestLimits limits, out IReadOnlyList<ChatTurn> conversation)
    {
        conversation = [];
        if (messages is null || messages.Count == 0) return "messages must hold at least one message.";
        var turns = new List<ChatTurn>();
        for (var index = 0; index < messages.Count; index++)
        {
            var message = messages[index];
            if (message.Role is null || !Roles.Contains(message.Role))
                return $"messages[{index}].role must be system, user or assistant, not '{message.Role}'.";
            if (TextOf(message.Content) is not { } text) return $"messages[{index}].content must be a string or an array of text parts.";
            turns.Add(new ChatTurn(message.Role, text));
        }
        if (turns[^1].Role != "user") return "the last message must be the user's.";
        if (limits.CheckQuery(turns[^1].Content, "the last user message") is { } invalid) return invalid;
        if (turns.Sum(turn => turn.Content.Length) > limits.Options.MaxQueryChars)
            return $"the conversation is longer than {limits.Options.MaxQueryChars} characters.";
        conversation = turns;
        return null;
    }

    private static string? ReadPrompt(JsonElement prompt, RequestLimits limits, out string text)
    {
        text = prompt.ValueKind switch
        {
            JsonValueKind.String => prompt.GetString()!,
            JsonValueKind.Array when prompt.GetArrayLength() == 1 && prompt[0].ValueKind == JsonValueKind.String => prompt[0].GetString()!,
            _ => "",
        };
        if (prompt.ValueKind is not (JsonValueKind.String or JsonValueKind.Array)) return "prompt must be a string.";
        return limits.CheckQuery(text, "prompt");
    }

    private static string? TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String) return content.GetString();
        if (content.ValueKind != JsonValueKind.Array) return null;
        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                return null;
            text.Append(partText.GetString());
        }
        return text.ToString();
    }

    private static ChatCompletionChunk Chunk(string id, long created, string model, ChunkDelta delta, string? finishReason) =>
        new(id, "chat.completion.chunk", created, model, [new ChunkChoice(0, delta, finishReason)]);

    /// <summary>One specialist's own finish reason; a combination of several simply stopped.</summary>
    private static string FinishReasonOf(QueryOutcome outcome)
    {
        var answers = outcome.Contributions.Where(contribution => contribution.IsAnswer).ToArray();
        return answers.Length == 1 && outcome.Aggregator is null ? FinishReasonOf(answers[0].FinishReason) : "stop";
    }

    private static string FinishReasonOf(string? engineReason) => engineReason == "length" ? "length" : "stop";
}
