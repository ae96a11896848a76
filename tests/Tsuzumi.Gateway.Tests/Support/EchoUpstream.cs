using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tsuzumi.Gateway.Tests.Support;

/// <summary>
/// A real HTTP peer standing where a router replica stands: Kestrel on a loopback port that echoes what the gateway
/// forwarded (method, path, headers, body hash), answers <c>/health/ready</c> as told, streams server-sent events on
/// <c>/v1/stream</c>, is slow on <c>/v1/slow</c>, and can be stopped and started again on the same port.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private WebApplication? _app;
    private int _requests;

    private EchoUpstream(string name) => Name = name;

    public string Name { get; }
    public Uri Address { get; private set; } = null!;

    /// <summary>What <c>/health/ready</c> answers: true → 200, false → 503.</summary>
    public bool Ready { get; set; } = true;

    /// <summary>Requests to <c>/v1/**</c> seen so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Completed when a request to <c>/v1/slow</c> has arrived.</summary>
    public TaskCompletionSource SlowRequestArrived { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary><c>/v1/stream</c> sends its first event, then waits for this before the rest.</summary>
    public TaskCompletionSource ReleaseStream { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<EchoUpstream> StartAsync(string name = "router-1")
    {
        var upstream = new EchoUpstream(name);
        await upstream.StartOnAsync("http://127.0.0.1:0");
        return upstream;
    }

    /// <summary>Stops answering: connections to its port are refused.</summary>
    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    /// <summary>Answers again on the same port.</summary>
    public Task RestartAsync() => StartOnAsync(Address.ToString().TrimEnd('/'));

    private async Task StartOnAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.MapGet("/health/ready", () => Ready ? Results.Text("Healthy") : Results.Text("Unhealthy", statusCode: 503));
        app.MapGet("/v1/stream", StreamAsync);
        app.MapGet("/v1/specialists/foreign", () => Results.Problem(
            statusCode: 404, title: "Not Found", detail: "Specialist 'foreign' does not exist."));
        app.Map("/v1/slow", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _requests);
            SlowRequestArrived.TrySetResult();
            var milliseconds = int.Parse(context.Request.Query["ms"].ToString() is { Length: > 0 } ms ? ms : "1000");
            await Task.Delay(milliseconds, context.RequestAborted);
            await EchoAsync(context);
        });
        app.Map("/{**path}", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _requests);
            await EchoAsync(context);
        });
        await app.StartAsync();
        Address = app.ListeningAddress();
        _app = app;
    }

    private async Task StreamAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: first\n\n");
        await context.Response.Body.FlushAsync();
        await ReleaseStream.Task.WaitAsync(TimeSpan.FromSeconds(10), context.RequestAborted);
        await context.Response.WriteAsync("data: second\n\ndata: [DONE]\n\n");
    }

    private async Task EchoAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        await context.Response.WriteAsJsonAsync(new ForwardedRequest(
            Name,
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.Length,
            Convert.ToHexString(SHA256.HashData(body.ToArray()))));
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>What the upstream saw of a forwarded request.</summary>
public sealed record ForwardedRequest(string Replica, string Method, string PathAndQuery, Dictionary<string, string> Headers, long BodyLength, string BodySha256)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(header => header.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
}
