namespace Tsuzumi.Catalog;

/// <summary>A catalog that never changes (tests and one-shot tools).</summary>
public sealed class StaticCatalogSource(ConstellationCatalog catalog) : ICatalogSource
{
    public ConstellationCatalog Current => catalog;

    public event Action<ConstellationCatalog>? Changed { add { } remove { } }
}
