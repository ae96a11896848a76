namespace Tsuzumi.Silo;

/// <summary>A specialist could not answer; <see cref="Code"/> is one of Tsuzumi.Contracts' SpecialistFailureCodes.</summary>
[GenerateSerializer, Alias("Tsuzumi.Silo.SpecialistException")]
public sealed class SpecialistException : Exception
{
    public SpecialistException(string code, string message) : base(message) => Code = code;

    [Id(0)] public string Code { get; }
}
