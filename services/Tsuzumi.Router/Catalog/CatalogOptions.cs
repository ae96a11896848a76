namespace Tsuzumi.Router.Catalog;

/// <summary>Configuration section <c>Catalog</c>.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>The catalog file, relative to the content root unless absolute.</summary>
    public string Path { get; set; } = "config/constellation.json";

    /// <summary>
    /// Whether model and adapter files must exist. The router only routes and names specialists, and in a cluster the
    /// files live on the silos, so it does not check them by default.
    /// </summary>
    public bool VerifyFiles { get; set; }
}
