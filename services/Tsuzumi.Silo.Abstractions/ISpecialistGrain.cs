namespace Tsuzumi.Silo;

/// <summary>
/// One specialist of the catalog (key = specialist id). It forwards to its silo's shared engine, so concurrent calls
/// interleave and batch together.
/// </summary>
[Alias("Tsuzumi.Silo.ISpecialistGrain")]
public interface ISpecialistGrain : IGrainWithStringKey
{
    /// <summary>The whole answer. Throws <see cref="SpecialistException"/> with a code from Tsuzumi.Contracts' failure codes.</summary>
    [Alias("Ask")]
    Task<SpecialistAnswer> AskAsync(SpecialistQuery query, GrainCancellationToken? cancellation = null);

    /// <summary>The answer token by token, as text pieces, then a final piece carrying the totals.</summary>
    [Alias("Stream")]
    IAsyncEnumerable<SpecialistChunk> StreamAsync(SpecialistQuery query);

    [Alias("Stats")]
    Task<SpecialistStats> GetStatsAsync();

    /// <summary>What the shared engine serving this specialist (one per base model per silo) has done: batch sizes included.</summary>
    [Alias("EngineStats")]
    Task<EngineStats> GetEngineStatsAsync();
}
