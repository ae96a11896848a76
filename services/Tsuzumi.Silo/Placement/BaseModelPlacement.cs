using Orleans.Placement;

namespace Tsuzumi.Silo.Placement;

/// <summary>Places a specialist only on a silo that hosts its base model (see <see cref="BaseModelPlacementDirector"/>).</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.BaseModelPlacement")]
public sealed class BaseModelPlacement : PlacementStrategy
{
    internal static readonly BaseModelPlacement Instance = new();
}

/// <summary>Marks a grain keyed by specialist id for <see cref="BaseModelPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class BaseModelPlacementAttribute() : PlacementAttribute(BaseModelPlacement.Instance);
