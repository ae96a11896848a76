using System.Net;
using System.Net.Sockets;

namespace Tsuzumi.Testing.Brokers;

/// <summary>Free TCP ports on 127.0.0.1, chosen by the kernel so parallel test processes do not pick the same ones.</summary>
public static class FreeLoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports, all held open until every one is chosen (so the kernel cannot
    /// hand out the same one twice), then released for the server to bind. The window between release and the
    /// server's bind is small; a server that loses it fails its start with "address in use" in its log.
    /// </summary>
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }
            return listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
