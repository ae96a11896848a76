using System.Net.Sockets;
using System.Text;

namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// Asks a Docker engine <c>GET /_ping</c> with a short timeout before Testcontainers is touched, because
/// Testcontainers itself can wait a long time (or throw from a static initializer) when there is no engine.
/// </summary>
public static class DockerEngineProbe
{
    /// <summary>The socket the Docker CLI uses when <c>DOCKER_HOST</c> is unset.</summary>
    public const string DefaultSocketPath = "/var/run/docker.sock";

    private static readonly Lazy<bool> DefaultEngineReachable = new(() =>
        IsReachable(Environment.GetEnvironmentVariable("DOCKER_HOST"), TimeSpan.FromSeconds(2)));

    /// <summary>Probes <c>$DOCKER_HOST</c> (else <see cref="DefaultSocketPath"/>) once per process.</summary>
    public static bool IsDefaultEngineReachable() => DefaultEngineReachable.Value;

    /// <summary>
    /// True when the engine at <paramref name="dockerHost"/> (<c>unix:///path</c> or <c>tcp://host:port</c>;
    /// blank means <see cref="DefaultSocketPath"/>) answers its ping within <paramref name="timeout"/>.
    /// Never throws: anything unexpected means "not reachable".
    /// </summary>
    public static bool IsReachable(string? dockerHost, TimeSpan timeout)
    {
        try
        {
            using var cancellation = new CancellationTokenSource(timeout);
            return PingAsync(string.IsNullOrWhiteSpace(dockerHost) ? "unix://" + DefaultSocketPath : dockerHost.Trim(), cancellation.Token)
                .GetAwaiter().GetResult();
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException or UriFormatException or ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> PingAsync(string dockerHost, CancellationToken cancellationToken)
    {
        var uri = new Uri(dockerHost);
        Socket socket;
        System.Net.EndPoint endPoint;
        switch (uri.Scheme)
        {
            case "unix":
                if (!File.Exists(uri.AbsolutePath)) return false;
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                endPoint = new UnixDomainSocketEndPoint(uri.AbsolutePath);
                break;
            case "tcp":
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                endPoint = new System.Net.DnsEndPoint(uri.Host, uri.Port > 0 ? uri.Port : 2375);
                break;
            default:
                return false; // ssh:// and npipe:// engines are left to a RABBITMQ_URL / REDIS_URL.
        }

        using (socket)
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            // A TLS engine will not speak plain HTTP; that it accepted the connection is the best quick signal.
            if (uri.Scheme == "tcp" && Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY") is { Length: > 0 }) return true;

            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"), cancellationToken);
            var buffer = new byte[512];
            var received = 0;
            while (received < buffer.Length)
            {
                var count = await socket.ReceiveAsync(buffer.AsMemory(received), cancellationToken);
                if (count == 0) break;
                received += count;
                if (Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n", StringComparison.Ordinal)) break;
            }
            var statusLine = Encoding.ASCII.GetString(buffer, 0, received).Split("\r\n")[0];
            return statusLine.StartsWith("HTTP/", StringComparison.Ordinal) && statusLine.Contains(" 200", StringComparison.Ordinal);
        }
    }
}
