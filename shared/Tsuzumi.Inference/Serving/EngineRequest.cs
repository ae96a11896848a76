using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;

namespace Tsuzumi.Inference.Serving;

/// <summary>An adapter of the engine's <see cref="AdapterRegistry"/> and the weight it is mixed in with.</summary>
public sealed record AdapterSelection(string AdapterId, float Weight = 1f);

/// <summary>
/// One generation submitted to a <see cref="GenerationEngine"/>: prompt, limits and sampling, and the adapters this
/// row applies (empty = the base model). <see cref="FairnessKey"/> (the specialist id) is what the engine shares
/// batch slots fairly across.
/// </summary>
public sealed record EngineRequest(GenerationRequest Generation, IReadOnlyList<AdapterSelection> Adapters, string FairnessKey);
