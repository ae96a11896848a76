namespace Tsuzumi.Contracts;

/// <summary>One turn of a conversation: role is system, user or assistant.</summary>
public sealed record ChatTurn(string Role, string Content);
