using System.Text;

namespace Tsuzumi.Inference.Tokenization;

/// <summary>The chat prompt formats the platform renders (Jinja templates are not executed; their format is recognised).</summary>
public enum ChatFormat
{
    /// <summary>Completion: message contents joined by newlines, no markers.</summary>
    Plain,
    /// <summary><c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n…\n&lt;&lt;/SYS&gt;&gt;\n\n… [/INST]</c></summary>
    Llama2,
    /// <summary><c>&lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n…&lt;|eot_id|&gt;</c></summary>
    Llama3,
    /// <summary><c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c></summary>
    ChatML,
    /// <summary>
    /// <c>Q: …\nA: …</c>, the layout tsuzumi-nano saw its question-answer documents in during pretraining. It has no
    /// system role (system messages are left out: a 5 M-parameter model never saw one) and no end-of-turn marker (the
    /// model ends an answer with EOS).
    /// </summary>
    QuestionAnswer,
}

/// <summary>
/// Renders messages into the prompt text a model was trained on. Encode the result with <c>parseSpecialTokens: true</c>
/// and <c>addSpecialTokens: false</c> (the Llama formats write their own BOS).
/// </summary>
public sealed class ChatTemplate
{
    private ChatTemplate(ChatFormat format) => Format = format;

    public ChatFormat Format { get; }

    public static ChatTemplate For(ChatFormat format) => new(format);

    /// <summary>
    /// True when the rendering does not write a BOS of its own, so the prompt is encoded with the model's BOS rule
    /// (plain and qa); the Llama formats write their own BOS and ChatML uses none.
    /// </summary>
    public bool UsesModelBos => Format is ChatFormat.Plain or ChatFormat.QuestionAnswer;

    /// <summary>True when an assistant turn has no end marker in the text, so training appends EOS to teach the model to stop.</summary>
    public bool EndsTurnsWithEos => Format is ChatFormat.Plain or ChatFormat.QuestionAnswer;

    /// <summary>An explicit choice by name (plain, llama2, llama3, chatml, qa), case-insensitive.</summary>
    public static ChatTemplate ForName(string name) => name.Trim().ToLowerInvariant() switch
    {
        "plain" or "completion" or "none" => new(ChatFormat.Plain),
        "llama2" or "llama-2" => new(ChatFormat.Llama2),
        "llama3" or "llama-3" => new(ChatFormat.Llama3),
        "chatml" or "qwen" or "qwen2" => new(ChatFormat.ChatML),
        "qa" => new(ChatFormat.QuestionAnswer),
        _ => throw new ArgumentException($"unknown chat format '{name}' (plain, llama2, llama3, chatml, qa)", nameof(name)),
    };

    /// <summary>
    /// Picks the format from markers in the model's Jinja template text, else from special tokens in the vocabulary,
    /// else <see cref="ChatFormat.Plain"/>. An override name wins over both.
    /// </summary>
    public static ChatTemplate Detect(string? jinjaTemplateText, ITokenizer tokenizer, string? overrideName = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!string.IsNullOrWhiteSpace(overrideName)) return ForName(overrideName);
        if (jinjaTemplateText is { Length: > 0 } jinja)
        {
            if (jinja.Contains("<|start_header_id|>", StringComparison.Ordinal)) return new(ChatFormat.Llama3);
            if (jinja.Contains("<|im_start|>", StringComparison.Ordinal)) return new(ChatFormat.ChatML);
            if (jinja.Contains("[INST]", StringComparison.Ordinal)) return new(ChatFormat.Llama2);
        }
        var texts = Enumerable.Range(0, tokenizer.VocabularySize).Where(tokenizer.IsSpecial).Select(tokenizer.TokenText).ToHashSet(StringComparer.Ordinal);
        if (texts.Contains("<|start_header_id|>") && texts.Contains("<|eot_id|>")) return new(ChatFormat.Llama3);
        if (texts.Contains("<|im_start|>") || ContainsToken(tokenizer, "<|im_start|>")) return new(ChatFormat.ChatML);
        return new(ChatFormat.Plain);
    }

    private static bool ContainsToken(ITokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: true);
        return ids.Count == 1 && tokenizer.TokenText(ids[0]) == text;
    }

    /// <summary>Ids that end an assistant turn in this format: EOS plus the format's end-of-turn token when the vocabulary has it.</summary>
    public IReadOnlySet<int> EndOfTurnIds(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var ids = new HashSet<int>(tokenizer.EndOfGenerationIds);
        if (tokenizer.EosId is { } eos) ids.Add(eos);
        var marker = Format switch { ChatFormat.Llama3 => "<|eot_id|>", ChatFormat.ChatML => "<|im_end|>", _ => null };
        if (marker is not null)
        {
            var encoded = tokenizer.Encode(marker, addSpecialTokens: false, parseSpecialTokens: true);
            if (encoded.Count == 1) ids.Add(encoded[0]);
        }
        return ids;
    }

    public string Render(IReadOnlyList<Message> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Format switch
        {
            ChatFormat.Plain => RenderPlain(messages),
            ChatFormat.Llama2 => RenderLlama2(messages),
            ChatFormat.Llama3 => RenderLlama3(messages, addGenerationPrompt),
            ChatFormat.ChatML => RenderChatMl(messages, addGenerationPrompt),
            ChatFormat.QuestionAnswer => RenderQuestionAnswer(messages, addGenerationPrompt),
            _ => throw new InvalidOperationException($"unhandled format {Format}"),
        };
    }

    private static string RenderPlain(IReadOnlyList<Message> messages) => string.Join("\n", messages.Select(message => message.Content));

    /// <summary>Meta's Llama-2 chat layout: the system prompt folds into the first user turn; each exchange is one &lt;s&gt;…&lt;/s&gt;.</summary>
    private static string RenderLlama2(IReadOnlyList<Message> messages)
    {
        var text = new StringBuilder();
        string? system = null;
        foreach (var message in messages)
        {
            switch (message.Role)
            {
                case Roles.System:
                    system = message.Content;
                    break;
                case Roles.User:
                    var content = system is null ? message.Content.Trim() : $"<<SYS>>\n{system.Trim()}\n<</SYS>>\n\n{message.Content.Trim()}";
                    system = null;
                    text.Append($"<s>[INST] {content} [/INST]");
                    break;
                case Roles.Assistant:
                    text.Append($" {message.Content.Trim()} </s>");
                    break;
                default:
                    throw new ArgumentException($"Llama-2 chat has no role '{message.Role}'", nameof(messages));
            }
        }
        return text.ToString();
    }

    private static string RenderLlama3(IReadOnlyList<Message> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder("<|begin_of_text|>");
        foreach (var message in messages)
            text.Append($"<|start_header_id|>{message.Role}<|end_header_id|>\n\n{message.Content.Trim()}<|eot_id|>");
        if (addGenerationPrompt) text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return text.ToString();
    }

    private static string RenderChatMl(IReadOnlyList<Message> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var message in messages) text.Append($"<|im_start|>{message.Role}\n{message.Content}<|im_end|>\n");
        if (addGenerationPrompt) text.Append("<|im_start|>assistant\n");
        return text.ToString();
    }

    private static string RenderQuestionAnswer(IReadOnlyList<Message> messages, bool addGenerationPrompt)
    {
        var lines = new List<string>();
        foreach (var message in messages)
        {
            switch (message.Role)
            {
                case Roles.User:
                    lines.Add($"Q: {message.Content.Trim()}");
                    break;
                case Roles.Assistant:
                    lines.Add($"A: {message.Content.Trim()}");
                    break;
            }
        }
        if (addGenerationPrompt && messages.Count > 0 && messages[^1].Role == Roles.User) lines.Add("A:");
        return string.Join("\n", lines);
    }
}
