using System.Collections.Concurrent;

namespace Tsuzumi.Silo.AdapterLifecycle;

/// <summary>The adapter folder each specialist was switched to by an adapter-published event, over its catalog path.</summary>
public sealed class PublishedAdapterVersions
{
    private readonly ConcurrentDictionary<string, PublishedAdapterVersion> current = new(StringComparer.Ordinal);

    public PublishedAdapterVersion? Find(string specialistId) => current.GetValueOrDefault(specialistId);

    internal void Set(PublishedAdapterVersion version) => current[version.Specialist] = version;
}

public sealed record PublishedAdapterVersion(string Specialist, string Version, string Sha256, string Directory);
