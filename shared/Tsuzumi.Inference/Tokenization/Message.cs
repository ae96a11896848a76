namespace Tsuzumi.Inference.Tokenization;

/// <summary>One chat turn. <paramref name="Role"/> is <c>system</c>, <c>user</c> or <c>assistant</c> (see <see cref="Roles"/>).</summary>
public sealed record Message(string Role, string Content)
{
    public static Message System(string content) => new(Roles.System, content);
    public static Message User(string content) => new(Roles.User, content);
    public static Message Assistant(string content) => new(Roles.Assistant, content);
}

public static class Roles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";
}
