using Tsuzumi.Silo;

namespace Tsuzumi.Router.Streaming;

/// <summary>
/// One specialist's answer token by token (OpenAI <c>stream: true</c>). Throws <see cref="SpecialistException"/> with a
/// failure code when the specialist cannot answer; the last chunk carries the totals.
/// </summary>
public interface ISpecialistTokenSource
{
    IAsyncEnumerable<SpecialistChunk> StreamAsync(string specialistId, SpecialistQuery query, CancellationToken cancellationToken);
}
