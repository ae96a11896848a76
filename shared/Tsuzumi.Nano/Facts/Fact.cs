namespace Tsuzumi.Nano.Facts;

/// <summary>The two languages every fact is written in.</summary>
public enum Language
{
    Japanese,
    English,
}

/// <summary>The domains of the nano data: the base model learns general, finance and medical; org-acme is adapter-only.</summary>
public static class NanoDomain
{
    public const string General = "general";
    public const string Finance = "finance";
    public const string Medical = "medical";
    public const string OrgAcme = "org-acme";

    public static IReadOnlyList<string> All { get; } = [General, Finance, Medical, OrgAcme];

    /// <summary>Domains whose facts may appear in the pretraining corpus. org-acme is private knowledge for its adapter only.</summary>
    public static IReadOnlyList<string> Base { get; } = [General, Finance, Medical];
}

/// <summary>
/// One language's rendering of a fact. The answer is a template with one <c>{v}</c> slot; filling it with
/// <see cref="Value"/> gives the true sentence, filling it with a distractor gives a plausible false one.
/// </summary>
/// <param name="Question">The phrasing used for training and the corpus.</param>
/// <param name="HeldOutQuestion">A paraphrase kept out of training, for evaluation only.</param>
public sealed record FactRendering(string Question, string HeldOutQuestion, string AnswerTemplate, string Value, IReadOnlyList<string> Distractors)
{
    public const string Slot = "{v}";

    public string Answer => AnswerWith(Value);

    public string AnswerWith(string value) => AnswerTemplate.Replace(Slot, value, StringComparison.Ordinal);
}

/// <summary>One fact with a single value, rendered in Japanese and English.</summary>
public sealed record Fact(string Id, string Domain, FactRendering Japanese, FactRendering English)
{
    public FactRendering In(Language language) => language == Language.Japanese ? Japanese : English;
}
