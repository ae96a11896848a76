using System.Runtime.CompilerServices;
using Tsuzumi.Silo;

namespace Tsuzumi.Router.Streaming;

/// <summary>Streams from the specialist's grain through the Orleans client (decision 0005: a bus is the wrong tool for tokens).</summary>
public sealed class GrainTokenSource(IGrainFactory grains) : ISpecialistTokenSource
{
    public async IAsyncEnumerable<SpecialistChunk> StreamAsync(
        string specialistId, SpecialistQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in grains.GetGrain<ISpecialistGrain>(specialistId).StreamAsync(query).WithCancellation(cancellationToken))
            yield return chunk;
    }
}
