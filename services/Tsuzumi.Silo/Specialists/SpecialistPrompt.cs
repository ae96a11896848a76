using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Specialists;

/// <summary>Turns a query into the engine's generation request: the specialist's system prompt, its defaults and the caller's overrides.</summary>
public static class SpecialistPrompt
{
    /// <summary>The most a request may ask for; the catalog allows the same.</summary>
    public const int MaxTokensLimit = 4096;

    public const float MaxTemperature = 2f;

    /// <summary>Builds the request; bad input throws <see cref="SpecialistException"/> (invalid-request or prompt-too-long).</summary>
    public static GenerationRequest Build(SpecialistDefinition specialist, SpecialistQuery query, HostedBaseModel model)
    {
        var messages = Messages(specialist, query);
        var defaults = specialist.Generation;
        var maxTokens = query.MaxTokens ?? defaults.MaxTokens;
        if (maxTokens is < 1 or > MaxTokensLimit) throw Invalid($"maxTokens must be 1..{MaxTokensLimit}, not {maxTokens}");
        var temperature = query.Temperature ?? defaults.Temperature;
        if (!float.IsFinite(temperature) || temperature < 0 || temperature > MaxTemperature)
            throw Invalid($"temperature must be 0..{MaxTemperature}, not {temperature}");
        var vocabulary = model.Model.Tokenizer.VocabularySize;
        var topK = query.TopK ?? defaults.TopK;
        if (topK < 0 || topK > vocabulary) throw Invalid($"topK must be 0..{vocabulary} (0 = off), not {topK}");

        var rendered = model.Template.Render(messages);
        var tokenizer = model.Model.Tokenizer;
        // As the evaluation harness does: the Llama formats write their own BOS, plain text gets the model's.
        var prompt = model.Template.Format == ChatFormat.Plain
            ? tokenizer.Encode(rendered, addSpecialTokens: true)
            : tokenizer.Encode(rendered, addSpecialTokens: false, parseSpecialTokens: true);
        if (prompt.Count >= model.ContextWindow)
        {
            throw new SpecialistException(SpecialistFailureCodes.PromptTooLong,
                $"the prompt is {prompt.Count} tokens with the system prompt; {model.Id} has a context window of {model.ContextWindow}");
        }
        var sampling = new SamplingOptions
        {
            Temperature = temperature,
            TopK = topK,
            TopP = defaults.TopP,
            RepetitionPenalty = defaults.RepetitionPenalty,
        };
        return new GenerationRequest(prompt, maxTokens, sampling) { StopStrings = defaults.Stop };
    }

    private static List<Message> Messages(SpecialistDefinition specialist, SpecialistQuery query)
    {
        if (query.Conversation is not { Count: > 0 }) throw Invalid("the conversation is empty");
        var messages = new List<Message>(query.Conversation.Count + 1);
        if (!string.IsNullOrWhiteSpace(specialist.SystemPrompt)) messages.Add(Message.System(specialist.SystemPrompt));
        foreach (var turn in query.Conversation)
        {
            if (turn.Role is not (Roles.System or Roles.User or Roles.Assistant))
                throw Invalid($"role '{turn.Role}' is not system, user or assistant");
            if (turn.Content is null) throw Invalid($"a {turn.Role} turn has no content");
            messages.Add(new Message(turn.Role, turn.Content));
        }
        if (query.Conversation[^1].Role != Roles.User) throw Invalid("the last turn must be the user's question");
        return messages;
    }

    private static SpecialistException Invalid(string reason) => new(SpecialistFailureCodes.InvalidRequest, reason);
}
