namespace Tsuzumi.Router;

/// <summary>Configuration section <c>Router</c>: the limits every query is held to.</summary>
public sealed class RouterOptions
{
    public const string Section = "Router";

    /// <summary>A query that names no deadline gets this one.</summary>
    public int DefaultDeadlineMs { get; set; } = 30_000;

    /// <summary>The longest deadline a caller may ask for.</summary>
    public int MaxDeadlineMs { get; set; } = 120_000;

    /// <summary>The most tokens one specialist may be asked to write.</summary>
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>The specialist that reads the candidates and writes one answer for the synthesize strategy.</summary>
    public string AggregatorSpecialist { get; set; } = "general";

    /// <summary>Share of the deadline the candidates get when the answer is synthesized; the aggregator gets the rest.</summary>
    public double SynthesisCandidateShare { get; set; } = 0.6;

    /// <summary>Largest request body accepted (bytes).</summary>
    public long MaxRequestBodyBytes { get; set; } = 256 * 1024;

    /// <summary>Longest query or conversation, in characters.</summary>
    public int MaxQueryChars { get; set; } = 16_000;

    /// <summary>At most this many specialists may be named in one request.</summary>
    public int MaxNamedSpecialists { get; set; } = 8;

    internal void Validate()
    {
        if (DefaultDeadlineMs < 1 || MaxDeadlineMs < DefaultDeadlineMs)
            throw new InvalidOperationException($"{Section}: need 1 ≤ DefaultDeadlineMs ({DefaultDeadlineMs}) ≤ MaxDeadlineMs ({MaxDeadlineMs})");
        if (MaxTokensLimit < 1) throw new InvalidOperationException($"{Section}:MaxTokensLimit must be at least 1");
        if (string.IsNullOrWhiteSpace(AggregatorSpecialist)) throw new InvalidOperationException($"{Section}:AggregatorSpecialist is required");
        if (SynthesisCandidateShare is <= 0 or >= 1) throw new InvalidOperationException($"{Section}:SynthesisCandidateShare must be in (0, 1)");
        if (MaxRequestBodyBytes < 1024) throw new InvalidOperationException($"{Section}:MaxRequestBodyBytes must be at least 1024");
        if (MaxQueryChars < 1 || MaxNamedSpecialists < 1) throw new InvalidOperationException($"{Section}: MaxQueryChars and MaxNamedSpecialists must be at least 1");
    }
}
