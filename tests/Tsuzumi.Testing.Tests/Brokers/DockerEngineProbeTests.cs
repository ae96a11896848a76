using System.Net;
using System.Net.Sockets;
using System.Text;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Testing.Tests.Brokers;

public class DockerEngineProbeTests
{
    [Fact]
    public async Task An_engine_that_answers_ping_with_200_is_reachable()
    {
        using var engine = new TcpListener(IPAddress.Loopback, 0);
        engine.Start();
        var answered = AnswerOnceAsync(engine, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");

        var reachable = await Task.Run(() => DockerEngineProbe.IsReachable($"tcp://127.0.0.1:{Port(engine)}", TimeSpan.FromSeconds(5)));

        Assert.True(reachable);
        Assert.StartsWith("GET /_ping ", await answered);
    }

    [Fact]
    public async Task An_engine_that_answers_with_an_error_is_not_reachable()
    {
        using var engine = new TcpListener(IPAddress.Loopback, 0);
        engine.Start();
        _ = AnswerOnceAsync(engine, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");

        Assert.False(await Task.Run(() => DockerEngineProbe.IsReachable($"tcp://127.0.0.1:{Port(engine)}", TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public void A_closed_port_or_a_missing_socket_is_not_reachable()
    {
        var closedPort = FreeLoopbackPorts.Take(1)[0];

        Assert.False(DockerEngineProbe.IsReachable($"tcp://127.0.0.1:{closedPort}", TimeSpan.FromSeconds(2)));
        Assert.False(DockerEngineProbe.IsReachable("unix:///nonexistent/docker.sock", TimeSpan.FromSeconds(2)));
        Assert.False(DockerEngineProbe.IsReachable("npipe:////./pipe/docker_engine", TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task An_engine_that_never_answers_is_given_up_on_within_the_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts at the TCP level (backlog) but never replies

        var started = DateTime.UtcNow;
        var reachable = await Task.Run(() => DockerEngineProbe.IsReachable($"tcp://127.0.0.1:{Port(silent)}", TimeSpan.FromMilliseconds(500)));

        Assert.False(reachable);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private static async Task<string> AnswerOnceAsync(TcpListener listener, string response)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var buffer = new byte[1024];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var count = await stream.ReadAsync(buffer);
            if (count == 0) break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, count));
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
        return request.ToString();
    }
}
