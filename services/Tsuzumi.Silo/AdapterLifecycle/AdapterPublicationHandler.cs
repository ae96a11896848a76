using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Tsuzumi.Catalog;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.AdapterLifecycle;

/// <summary>What became of an adapter-published event.</summary>
public enum AdapterPublicationOutcome { Swapped, AlreadyCurrent, Rejected }

public sealed record AdapterPublicationResult(AdapterPublicationOutcome Outcome, string Detail, string? Directory = null);

/// <summary>
/// Fetches a published adapter version, verifies its SHA-256, unpacks it into its own versioned folder and re-points
/// the specialist's adapter at it. The registry's re-point retires the old weights only when their running leases end,
/// so generations in flight finish on the old version and the next request gets the new one. Anything wrong (unknown
/// specialist, bad checksum, unreadable archive) is rejected and the old version keeps serving.
/// </summary>
public sealed partial class AdapterPublicationHandler(
    ICatalogSource catalog,
    ModelHost host,
    IHttpClientFactory httpClients,
    AdapterLifecycleOptions options,
    IHostEnvironment environment,
    ILogger<AdapterPublicationHandler> logger)
{
    public const string HttpClientName = "adapter-downloads";

    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    private string Root => Path.GetFullPath(options.Directory, environment.ContentRootPath);

    public async Task<AdapterPublicationResult> HandleAsync(AdapterPublished published, CancellationToken cancellation)
    {
        if (Validate(published) is { } invalid) return Reject(published, invalid);
        var specialist = catalog.Current.FindSpecialist(published.Specialist);
        if (specialist is null) return Reject(published, $"specialist '{published.Specialist}' is not in the catalog");
        if (specialist.Adapters.Count != 1) return Reject(published, $"specialist '{specialist.Id}' has {specialist.Adapters.Count} adapters; only a single-adapter specialist can take a published version");

        await oneAtATime.WaitAsync(cancellation);
        try
        {
            var expected = published.Sha256.ToLowerInvariant();
            if (host.PublishedAdapters.Find(specialist.Id) is { } current && current.Version == published.Version && current.Sha256 == expected)
                return new AdapterPublicationResult(AdapterPublicationOutcome.AlreadyCurrent, $"'{specialist.Id}' already serves version {published.Version}", current.Directory);

            var incoming = Path.Combine(Root, ".incoming", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(incoming);
            try
            {
                var archive = Path.Combine(incoming, "archive");
                string actual;
                try
                {
                    actual = await DownloadAsync(new Uri(published.Uri), archive, cancellation);
                }
                catch (Exception error) when (error is IOException or HttpRequestException or UnauthorizedAccessException or InvalidDataException or TaskCanceledException && !cancellation.IsCancellationRequested)
                {
                    return Reject(published, $"could not fetch {published.Uri}: {error.Message}");
                }
                if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(actual), Convert.FromHexString(expected)))
                    return Reject(published, $"checksum mismatch: the published sha256 is {expected}, the fetched bytes hash to {actual}");

                var unpacked = Path.Combine(incoming, "adapter");
                string adapterFolder;
                try
                {
                    adapterFolder = await UnpackAsync(archive, unpacked, cancellation);
                }
                catch (Exception error) when (error is InvalidDataException or IOException or FormatException)
                {
                    return Reject(published, $"the archive could not be unpacked: {error.Message}");
                }
                if (!File.Exists(Path.Combine(adapterFolder, "adapter_config.json")))
                    return Reject(published, "the archive holds no adapter_config.json");

                var target = Path.Combine(Root, specialist.Id, published.Version);
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                Directory.Move(adapterFolder, target);

                host.PublishedAdapters.Set(new PublishedAdapterVersion(specialist.Id, published.Version, expected, target));
                var adapterId = SpecialistAdapters.AdapterId(specialist.Id, specialist.Adapters[0].Path);
                foreach (var model in host.Loaded.Where(model => model.Id == specialist.BaseModel))
                    model.Adapters.Register(adapterId, target);
                LogSwapped(logger, specialist.Id, published.Version, target);
                return new AdapterPublicationResult(AdapterPublicationOutcome.Swapped, $"'{specialist.Id}' now serves version {published.Version}", target);
            }
            finally
            {
                if (Directory.Exists(incoming)) Directory.Delete(incoming, recursive: true);
            }
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    private static string? Validate(AdapterPublished published)
    {
        if (string.IsNullOrWhiteSpace(published.Specialist)) return "specialist is required";
        if (string.IsNullOrWhiteSpace(published.Version) || !VersionName().IsMatch(published.Version)) return "version must be 1-64 of [A-Za-z0-9._-] and not start with '.'";
        if (string.IsNullOrWhiteSpace(published.Sha256) || !Sha256Hex().IsMatch(published.Sha256)) return "sha256 must be 64 hex digits";
        if (!Uri.TryCreate(published.Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("file" or "http" or "https")) return "uri must be an absolute file://, http:// or https:// URI";
        return null;
    }

    /// <summary>Copies the archive to <paramref name="destination"/> and returns the SHA-256 (hex) of its bytes.</summary>
    private async Task<string> DownloadAsync(Uri uri, string destination, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(options.DownloadTimeout);
        await using var source = uri.IsFile
            ? File.OpenRead(uri.LocalPath)
            : await httpClients.CreateClient(HttpClientName).GetStreamAsync(uri, timeout.Token);
        await using var target = File.Create(destination);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, timeout.Token)) > 0)
        {
            total += read;
            if (total > options.MaxArchiveBytes) throw new InvalidDataException($"the archive is larger than {options.MaxArchiveBytes} bytes");
            hash.AppendData(buffer, 0, read);
            await target.WriteAsync(buffer.AsMemory(0, read), timeout.Token);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Unpacks a zip, tar or tar.gz; returns the folder holding the adapter (the root, or its single subfolder).</summary>
    private static async Task<string> UnpackAsync(string archive, string destination, CancellationToken cancellation)
    {
        Directory.CreateDirectory(destination);
        var magic = new byte[4];
        await using (var probe = File.OpenRead(archive)) _ = await probe.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellation);
        if (magic is [0x50, 0x4B, 0x03, 0x04, ..])
        {
            await ZipFile.ExtractToDirectoryAsync(archive, destination, cancellation);
        }
        else
        {
            await using var file = File.OpenRead(archive);
            await using Stream tar = magic is [0x1F, 0x8B, ..] ? new GZipStream(file, CompressionMode.Decompress) : file;
            await TarFile.ExtractToDirectoryAsync(tar, destination, overwriteFiles: false, cancellation);
        }
        var entries = Directory.GetFileSystemEntries(destination);
        return entries is [var single] && Directory.Exists(single) ? single : destination;
    }

    private AdapterPublicationResult Reject(AdapterPublished published, string reason)
    {
        LogRejected(logger, published.Specialist, published.Version, reason);
        return new AdapterPublicationResult(AdapterPublicationOutcome.Rejected, reason);
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex VersionName();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Hex();

    [LoggerMessage(Level = LogLevel.Information, Message = "Adapter of '{Specialist}' swapped to version {Version} ({Directory}); running generations finish on the old one")]
    private static partial void LogSwapped(ILogger logger, string specialist, string version, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adapter version {Version} of '{Specialist}' rejected, the old version keeps serving: {Reason}")]
    private static partial void LogRejected(ILogger logger, string specialist, string version, string reason);
}
