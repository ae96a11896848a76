namespace Tsuzumi.Catalog;

/// <summary>The current catalog, replaced whole when its file changes (readers never see half an update).</summary>
public interface ICatalogSource
{
    ConstellationCatalog Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed to a new version.</summary>
    event Action<ConstellationCatalog>? Changed;
}
