namespace Tsuzumi.Testing.Brokers;

/// <summary>Turns a <c>REDIS_URL</c> into a StackExchange.Redis configuration string.</summary>
public static class RedisUrl
{
    /// <summary>
    /// Accepts <c>redis://[user:password@]host[:port][/db]</c>, <c>rediss://…</c> (TLS) or a value already in
    /// StackExchange.Redis form (<c>host:port[,option=value…]</c>), which is passed through unchanged.
    /// </summary>
    /// <exception cref="BrokerFixtureException">A URL with another scheme, no host, or a database that is not a number.</exception>
    public static string ToConnectionString(string url)
    {
        var value = url.Trim();
        if (!value.Contains("://", StringComparison.Ordinal)) return value;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new BrokerFixtureException($"REDIS_URL '{Redact(value)}' is not a URL with a host (expected redis://host:port or host:port)");
        if (uri.Scheme is not ("redis" or "rediss"))
            throw new BrokerFixtureException($"REDIS_URL scheme '{uri.Scheme}' is not redis:// or rediss://");

        var parts = new List<string> { $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 6379)}" };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var userInfo = uri.UserInfo.Split(':', 2);
            var user = Uri.UnescapeDataString(userInfo[0]);
            if (user.Length > 0 && userInfo.Length == 2) parts.Add($"user={user}");
            var password = Uri.UnescapeDataString(userInfo.Length == 2 ? userInfo[1] : userInfo[0]);
            if (password.Length > 0) parts.Add($"password={password}");
        }
        if (uri.Scheme == "rediss") parts.Add("ssl=true");
        var database = uri.AbsolutePath.Trim('/');
        if (database.Length > 0)
        {
            if (!int.TryParse(database, out var number) || number < 0)
                throw new BrokerFixtureException($"REDIS_URL database '{database}' is not a non-negative number");
            parts.Add($"defaultDatabase={number}");
        }
        return string.Join(',', parts);
    }

    /// <summary>The value with any password replaced, for messages.</summary>
    public static string Redact(string connectionStringOrUrl)
    {
        if (Uri.TryCreate(connectionStringOrUrl, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
            return connectionStringOrUrl.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal);
        return string.Join(',', connectionStringOrUrl.Split(',')
            .Select(part => part.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : part));
    }
}
