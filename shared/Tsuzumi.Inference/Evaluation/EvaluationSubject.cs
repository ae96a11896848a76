using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>What a task runs against: a loaded model, its tokenizer and chat template, and the adapters applied on top.</summary>
public sealed record EvaluationSubject(LlamaForCausalLM Model, ITokenizer Tokenizer, string? ChatTemplateText, IReadOnlyList<WeightedAdapter> Adapters);

/// <summary>Settings shared by every task of a run.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Prepend BOS when scoring multiple choice (lm-eval's <c>add_bos_token</c>).</summary>
    public bool AddBos { get; init; }

    /// <summary>Sequences per forward pass when scoring multiple choice.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Most tokens generated per generative-QA answer.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>
    /// Wrap prompts in the model's chat template (detected, or <see cref="ChatFormat"/>): generative-QA prompts, and
    /// multiple-choice contexts as lm-eval's <c>--apply_chat_template</c> does.
    /// </summary>
    public bool Chat { get; init; }

    /// <summary>Explicit chat format name (plain, llama2, llama3, chatml, qa) instead of detection.</summary>
    public string? ChatFormat { get; init; }
}
