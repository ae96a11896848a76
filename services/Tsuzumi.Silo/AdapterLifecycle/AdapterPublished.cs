namespace Tsuzumi.Silo.AdapterLifecycle;

/// <summary>
/// A new version of a specialist's adapter is available at <paramref name="Uri"/> (file://, http:// or https://; a
/// .zip or .tar[.gz] of the adapter folder) with SHA-256 <paramref name="Sha256"/> (hex) of those bytes.
/// </summary>
public sealed record AdapterPublished(string Specialist, string Version, string Uri, string Sha256);
