namespace Tsuzumi.Nano.Facts;

/// <summary>Short constructors so the fact tables read as tables.</summary>
internal static class FactBuilder
{
    public static FactRendering L(string question, string heldOutQuestion, string answerTemplate, string value, params string[] distractors) =>
        new(question, heldOutQuestion, answerTemplate, value, distractors);
}
