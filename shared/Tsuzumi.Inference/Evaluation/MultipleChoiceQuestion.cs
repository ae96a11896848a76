namespace Tsuzumi.Inference.Evaluation;

/// <summary>
/// One multiple-choice item in lm-evaluation-harness terms: the model scores <c>Context</c> followed by
/// <c>TargetDelimiter + Choices[i]</c> for every i; <see cref="Label"/> is the index of the right choice.
/// acc_norm divides by the length of <c>Choices[i]</c> alone (the delimiter is not counted), as the harness does.
/// </summary>
public sealed record MultipleChoiceQuestion(string Id, string Context, IReadOnlyList<string> Choices, int Label, string TargetDelimiter = "")
{
    /// <summary>The text scored after the context for choice <paramref name="index"/>.</summary>
    public string Continuation(int index) => TargetDelimiter + Choices[index];
}
