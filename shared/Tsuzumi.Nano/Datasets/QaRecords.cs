namespace Tsuzumi.Nano.Datasets;

/// <summary>One supervised pair of <c>train.jsonl</c>; the trainer reads prompt and completion.</summary>
/// <param name="IsParaphrase">
/// An extra question form from <see cref="Facts.TrainingParaphrases"/>. Those were added after the tokenizer and the base
/// model were trained, so they do not feed the tokenizer: a changed vocabulary would invalidate the committed weights.
/// </param>
public sealed record TrainingPair(string Id, string Prompt, string Completion, bool IsParaphrase = false);

/// <summary>One line of <c>heldout.jsonl</c>: a paraphrase never trained on, and the facts a correct answer must contain.</summary>
public sealed record HeldOutQuestion(string Id, string Prompt, IReadOnlyList<string> KeyFacts);

/// <summary>One line of <c>mc.jsonl</c>, for log-likelihood scoring: which choice does the model find most likely after the context?</summary>
public sealed record MultipleChoiceItem(string Id, string Context, IReadOnlyList<string> Choices, int Label);

/// <summary>The three files of one domain.</summary>
public sealed record DomainDataset(string Domain, IReadOnlyList<TrainingPair> Train, IReadOnlyList<HeldOutQuestion> HeldOut, IReadOnlyList<MultipleChoiceItem> MultipleChoice);
