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
public sealed record EngineRequest(GenerationRequest Generation, IReadOnlyList<AdapterSelection> Adapters, string FairnessKey)
{
    /// <summary>The requests this one arrives with (one fan-out's asks of this model's specialists); null when it comes alone.</summary>
    public PrefillGroup? Group { get; init; }
}

/// <summary>
/// <paramref name="Size"/> requests sharing <paramref name="Key"/> are sent at once (one query asked of several
/// specialists on this base model). An idle engine holds the first of them up to <see cref="EngineOptions.GroupWait"/>
/// for the rest, so that they prefill in one forward and decode in step instead of the latecomers costing a forward of
/// their own.
/// </summary>
public sealed record PrefillGroup(string Key, int Size);
