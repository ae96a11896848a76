namespace Tsuzumi.Contracts;

/// <summary>Codes of <see cref="SpecialistFailed"/>.</summary>
public static class SpecialistFailureCodes
{
    /// <summary>No such specialist, or not visible to the tenant.</summary>
    public const string UnknownSpecialist = "unknown-specialist";

    /// <summary>The engine's queue is full; retry later.</summary>
    public const string Busy = "busy";

    /// <summary>The deadline passed before the answer was ready.</summary>
    public const string DeadlineExceeded = "deadline-exceeded";

    /// <summary>The prompt does not fit the model's context window.</summary>
    public const string PromptTooLong = "prompt-too-long";

    /// <summary>The specialist's adapter or base model could not be loaded.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The query itself is wrong (empty conversation, unknown role, an override outside its limits); retrying will not help.</summary>
    public const string InvalidRequest = "invalid-request";

    /// <summary>Anything else; the reason says what.</summary>
    public const string Error = "error";
}
