namespace Tsuzumi.Silo.Messaging;

/// <summary>A failure worth retrying while the deadline allows (engine busy, silo briefly unreachable); handled by the consumer's retry policy.</summary>
public sealed class TransientSpecialistException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
