using System.Text.Json;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Training;

/// <summary>A data file line that cannot be used; the message names the file and the line.</summary>
public sealed class TrainingDataException(string path, int line, string problem)
    : Exception(line > 0 ? $"{path}:{line}: {problem}" : $"{path}: {problem}")
{
    public string FilePath { get; } = path;

    public int Line { get; } = line;
}

/// <summary>One tokenised training sequence; the loss counts only positions where <see cref="LossMask"/> is true.</summary>
/// <param name="LossMask">Per token: is this token a target (completion / assistant text)?</param>
public sealed record TrainingExample(int Line, int[] Tokens, bool[] LossMask)
{
    public int TargetCount => LossMask.Count(target => target);
}

/// <summary>
/// Reads JSONL training data: <c>{"prompt", "completion"}</c> lines, or <c>{"messages": [{"role", "content"}…]}</c>
/// lines rendered with the chat template. Loss is only on the completion / assistant tokens and the end token.
/// </summary>
public static class TrainingData
{
    /// <summary>
    /// Loads the examples. With <paramref name="promptCompletionAsChat"/>, prompt/completion lines are rendered as a
    /// user turn and an assistant turn through <paramref name="chatTemplate"/>, the way a served specialist sees them.
    /// </summary>
    public static IReadOnlyList<TrainingExample> Load(string path, ITokenizer tokenizer, ChatTemplate chatTemplate, int maxTokens, bool promptCompletionAsChat = false)
    {
        if (!File.Exists(path)) throw new TrainingDataException(path, 0, "file not found");
        var examples = new List<TrainingExample>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try
            {
                root = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException error)
            {
                throw new TrainingDataException(path, lineNumber, $"not valid JSON: {error.Message}");
            }
            if (root.ValueKind != JsonValueKind.Object) throw new TrainingDataException(path, lineNumber, "each line must be a JSON object");

            var example = root.TryGetProperty("messages", out var messages)
                ? FromMessages(path, lineNumber, ReadMessages(path, lineNumber, messages), tokenizer, chatTemplate)
                : promptCompletionAsChat
                    ? FromMessages(path, lineNumber, PromptCompletionAsMessages(path, lineNumber, root), tokenizer, chatTemplate)
                    : FromPromptCompletion(path, lineNumber, root, tokenizer);
            if (example.Tokens.Length > maxTokens)
                throw new TrainingDataException(path, lineNumber, $"{example.Tokens.Length} tokens exceed the model's context of {maxTokens}");
            if (example.TargetCount == 0) throw new TrainingDataException(path, lineNumber, "nothing to learn: the completion is empty");
            examples.Add(example);
        }
        if (examples.Count == 0) throw new TrainingDataException(path, 0, "the dataset is empty");
        return examples;
    }

    private static TrainingExample FromPromptCompletion(string path, int line, JsonElement root, ITokenizer tokenizer)
    {
        var prompt = RequiredString(path, line, root, "prompt");
        var completion = RequiredString(path, line, root, "completion");
        if (completion.Length == 0) throw new TrainingDataException(path, line, "\"completion\" is empty");
        // The prompt is encoded exactly as generation will encode it, so the model learns to continue that. The
        // completion's tokens come from encoding the whole text (as a model would have seen it), split after the
        // prompt's tokens; only if the tokenizer merges across that boundary is the completion encoded on its own.
        var promptTokens = tokenizer.Encode(prompt, addSpecialTokens: true);
        var whole = tokenizer.Encode(prompt + completion, addSpecialTokens: true);
        var completionTokens = whole.Take(promptTokens.Count).SequenceEqual(promptTokens)
            ? whole.Skip(promptTokens.Count).ToList()
            : tokenizer.Encode(completion, addSpecialTokens: false).ToList();
        if (tokenizer.EosId is { } eos) completionTokens.Add(eos);
        return Join(line, promptTokens, completionTokens);
    }

    private static List<Message> PromptCompletionAsMessages(string path, int line, JsonElement root)
    {
        var completion = RequiredString(path, line, root, "completion");
        if (completion.Length == 0) throw new TrainingDataException(path, line, "\"completion\" is empty");
        return [Message.User(RequiredString(path, line, root, "prompt")), new Message(Roles.Assistant, completion)];
    }

    private static List<Message> ReadMessages(string path, int line, JsonElement messagesElement)
    {
        if (messagesElement.ValueKind != JsonValueKind.Array) throw new TrainingDataException(path, line, "\"messages\" must be an array");
        var messages = new List<Message>();
        foreach (var item in messagesElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) throw new TrainingDataException(path, line, "each message must be an object");
            var role = RequiredString(path, line, item, "role");
            if (role is not (Roles.System or Roles.User or Roles.Assistant))
                throw new TrainingDataException(path, line, $"unknown role '{role}' (system, user, assistant)");
            messages.Add(new Message(role, RequiredString(path, line, item, "content")));
        }
        return messages;
    }

    private static TrainingExample FromMessages(string path, int line, List<Message> messages, ITokenizer tokenizer, ChatTemplate chatTemplate)
    {
        if (!messages.Any(message => message.Role == Roles.Assistant))
            throw new TrainingDataException(path, line, "no assistant message to learn from");

        var tokens = new List<int>();
        var mask = new List<bool>();
        var renderedSoFar = "";
        for (var i = 0; i < messages.Count; i++)
        {
            // Render growing prefixes; each new piece of text is either context or (for assistant turns) target.
            var isAssistant = messages[i].Role == Roles.Assistant;
            var before = chatTemplate.Render(messages.Take(i).ToArray(), addGenerationPrompt: isAssistant);
            var after = chatTemplate.Render(messages.Take(i + 1).ToArray(), addGenerationPrompt: false);
            if (before.Length > renderedSoFar.Length)
            {
                var context = NewTokens(tokenizer, chatTemplate, tokens, before, renderedSoFar);
                tokens.AddRange(context);
                mask.AddRange(Enumerable.Repeat(false, context.Count));
                renderedSoFar = before;
            }
            var pieceTokens = after.Length > renderedSoFar.Length ? NewTokens(tokenizer, chatTemplate, tokens, after, renderedSoFar) : [];
            tokens.AddRange(pieceTokens);
            mask.AddRange(Enumerable.Repeat(isAssistant, pieceTokens.Count));
            renderedSoFar = after;
            if (isAssistant && chatTemplate.EndsTurnsWithEos && tokenizer.EosId is { } eos)
            {
                // No end marker in the text: EOS is how the model learns to stop after an answer.
                tokens.Add(eos);
                mask.Add(true);
            }
        }
        return new TrainingExample(line, tokens.ToArray(), mask.ToArray());
    }

    /// <summary>
    /// The tokens <paramref name="rendered"/> adds after <paramref name="renderedSoFar"/>. The whole text is encoded, as
    /// generation encodes a prompt, and the new tokens are what follows the ones so far; only when the tokenizer merges
    /// across the boundary is the new piece encoded on its own (a piece encoded alone may gain a leading space marker).
    /// </summary>
    private static List<int> NewTokens(ITokenizer tokenizer, ChatTemplate template, List<int> soFar, string rendered, string renderedSoFar)
    {
        var whole = tokenizer.Encode(rendered, addSpecialTokens: template.UsesModelBos, parseSpecialTokens: true);
        if (whole.Count >= soFar.Count && whole.Take(soFar.Count).SequenceEqual(soFar)) return whole.Skip(soFar.Count).ToList();
        return tokenizer.Encode(rendered[renderedSoFar.Length..], addSpecialTokens: soFar.Count == 0 && template.UsesModelBos, parseSpecialTokens: true).ToList();
    }

    private static TrainingExample Join(int line, IReadOnlyList<int> context, IReadOnlyList<int> target) =>
        new(line, context.Concat(target).ToArray(), Enumerable.Repeat(false, context.Count).Concat(Enumerable.Repeat(true, target.Count)).ToArray());

    private static string RequiredString(string path, int line, JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value)) throw new TrainingDataException(path, line, $"missing \"{name}\"");
        if (value.ValueKind != JsonValueKind.String) throw new TrainingDataException(path, line, $"\"{name}\" must be a string");
        return value.GetString()!;
    }
}
