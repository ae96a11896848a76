using Tsuzumi.Contracts;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Querying;

/// <summary>A validated question for the constellation. The last turn of <see cref="Conversation"/> is the user's query.</summary>
public sealed record QueryRequest(
    string Tenant,
    IReadOnlyList<ChatTurn> Conversation,
    IReadOnlyList<ChosenSpecialist> Specialists,
    string? Strategy,
    GenerationOverrides Generation,
    TimeSpan Deadline)
{
    public string Query => Conversation[^1].Content;
}
