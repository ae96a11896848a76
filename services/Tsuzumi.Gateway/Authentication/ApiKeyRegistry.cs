using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Tsuzumi.Gateway.Configuration;

namespace Tsuzumi.Gateway.Authentication;

/// <summary>
/// The configured API keys, as SHA-256 hashes only. A presented key is hashed and compared with every stored hash in
/// constant time, so neither the key nor which entry it is close to leaks through timing.
/// </summary>
public sealed partial class ApiKeyRegistry
{
    public const string PublicTenant = "public";
    public const string AdminRole = "admin";

    private readonly (byte[] Hash, ApiKeyIdentity Identity)[] _keys;

    private ApiKeyRegistry((byte[] Hash, ApiKeyIdentity Identity)[] keys, string? secretFile)
    {
        _keys = keys;
        SecretFile = secretFile;
    }

    /// <summary>False in the no-keys mode: everyone is tenant <c>public</c> and the gateway stays on loopback.</summary>
    public bool RequiresKeys => _keys.Length > 0;

    public IReadOnlyList<ApiKeyIdentity> Identities => _keys.Select(key => key.Identity).ToArray();

    /// <summary>The secret file the keys were (also) read from, for the startup log.</summary>
    public string? SecretFile { get; }

    /// <summary>The identity whose hash matches <paramref name="presentedKey"/>, or null.</summary>
    public ApiKeyIdentity? Match(string presentedKey)
    {
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey), presentedHash);
        ApiKeyIdentity? matched = null;
        foreach (var (hash, identity) in _keys)
        {
            // No early exit: every entry is compared whatever the outcome.
            if (CryptographicOperations.FixedTimeEquals(hash, presentedHash)) matched = identity;
        }
        return matched;
    }

    /// <summary>
    /// Reads keys from <paramref name="options"/> and the secret file it names (relative paths against
    /// <paramref name="contentRoot"/>). Throws <see cref="InvalidOperationException"/> listing every problem found.
    /// </summary>
    public static ApiKeyRegistry Load(GatewayOptions options, string contentRoot)
    {
        var problems = new List<string>();
        var entries = new List<(ApiKeyEntry Entry, string Source)>();
        entries.AddRange(options.ApiKeys.Select((entry, index) => (entry, $"Gateway:ApiKeys:{index}")));

        string? secretFile = null;
        if (!string.IsNullOrWhiteSpace(options.ApiKeysFile))
        {
            secretFile = Path.GetFullPath(options.ApiKeysFile, contentRoot);
            if (!File.Exists(secretFile))
            {
                problems.Add($"Gateway:ApiKeysFile '{secretFile}' does not exist");
            }
            else
            {
                try
                {
                    var fromFile = new ConfigurationBuilder().AddJsonFile(secretFile, optional: false, reloadOnChange: false).Build()
                        .GetSection("ApiKeys").Get<List<ApiKeyEntry>>() ?? [];
                    if (fromFile.Count == 0) problems.Add($"Gateway:ApiKeysFile '{secretFile}' holds no ApiKeys");
                    entries.AddRange(fromFile.Select((entry, index) => (entry, $"{Path.GetFileName(secretFile)}:ApiKeys:{index}")));
                }
                catch (Exception exception) when (exception is FormatException or InvalidDataException or InvalidOperationException or IOException)
                {
                    problems.Add($"Gateway:ApiKeysFile '{secretFile}' is not readable JSON of the form {{ \"ApiKeys\": [ … ] }}: {exception.Message}");
                }
            }
        }

        var keys = new List<(byte[] Hash, ApiKeyIdentity Identity)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, source) in entries)
        {
            var before = problems.Count;
            if (string.IsNullOrWhiteSpace(entry.Name)) problems.Add($"{source}: Name is required");
            else if (!names.Add(entry.Name)) problems.Add($"{source}: Name '{entry.Name}' is used by another key");
            if (!Sha256Hex().IsMatch(entry.Sha256 ?? ""))
                problems.Add($"{source}: Sha256 must be the 64 hex digits of the key's SHA-256 (echo -n KEY | sha256sum), never the key itself");
            if (!TenantName().IsMatch(entry.Tenant ?? ""))
                problems.Add($"{source}: Tenant '{entry.Tenant}' must be 1-64 letters, digits, '.', '_' or '-'");
            foreach (var role in entry.Roles.Where(role => role != AdminRole))
                problems.Add($"{source}: unknown role '{role}' (known: {AdminRole})");
            var rateLimit = entry.RateLimit ?? options.DefaultRateLimit;
            if (rateLimit.Problem() is { } rateProblem) problems.Add($"{source}: RateLimit: {rateProblem}");
            if (problems.Count > before) continue;

            var hash = Convert.FromHexString(entry.Sha256!);
            if (keys.Any(key => key.Hash.AsSpan().SequenceEqual(hash)))
            {
                problems.Add($"{source}: the same key hash is configured twice");
                continue;
            }
            keys.Add((hash, new ApiKeyIdentity(entry.Name, entry.Tenant!, entry.Roles.Contains(AdminRole), rateLimit)));
        }

        if (options.DefaultRateLimit.Problem() is { } defaultProblem) problems.Add($"Gateway:DefaultRateLimit: {defaultProblem}");
        if (options.AnonymousRateLimit.Problem() is { } anonymousProblem) problems.Add($"Gateway:AnonymousRateLimit: {anonymousProblem}");
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                "The gateway's API key configuration is invalid:" + string.Concat(problems.Select(problem => Environment.NewLine + "  - " + problem)));
        }
        return new ApiKeyRegistry([.. keys], secretFile);
    }

    /// <summary>Hex SHA-256 of a key, as it goes into configuration.</summary>
    public static string HashOf(string key) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLower(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex TenantName();
}
