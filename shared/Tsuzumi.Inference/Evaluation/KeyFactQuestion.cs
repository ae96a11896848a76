namespace Tsuzumi.Inference.Evaluation;

/// <summary>One generative QA item: the model answers <see cref="Prompt"/>; the answer is judged by the facts it contains.</summary>
public sealed record KeyFactQuestion(string Id, string Prompt, IReadOnlyList<string> KeyFacts);
