namespace Tsuzumi.Contracts;

/// <summary>Queue names the silos consume and the router sends to (<c>queue:ask-specialist</c>).</summary>
public static class SpecialistQueues
{
    public const string AskSpecialist = "ask-specialist";
}
