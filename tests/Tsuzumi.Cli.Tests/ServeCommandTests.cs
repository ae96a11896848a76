using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tsuzumi.Testing;
using Tsuzumi.Testing.Brokers;

namespace Tsuzumi.Cli.Tests;

/// <summary><c>./tsuzumi serve</c>: the embedded constellation as a server that <c>ask</c>, curl and OpenAI clients reach.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Serve_answers_over_http_ask_uses_it_and_ctrl_c_stops_it_cleanly()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var url = $"http://127.0.0.1:{FreeLoopbackPorts.Take(1)[0]}";
        using var server = Process.Start(TsuzumiProcess.StartInfo(["serve", "--urls", url]))!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null) return;
            log.Enqueue(line.Data);
            if (line.Data.Contains("ready in", StringComparison.Ordinal)) ready.TrySetResult();
        };
        server.BeginErrorReadLine();
        _ = server.StandardOutput.ReadToEndAsync(cancellation);
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromMinutes(4), cancellation);

            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var models = await http.GetAsync("/v1/models", cancellation);
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
            var ids = (await models.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("data").EnumerateArray()
                .Select(model => model.GetProperty("id").GetString()).ToArray();
            Assert.Contains("finance", ids);
            Assert.DoesNotContain("org-acme", ids);

            var ask = await TsuzumiProcess.RunAsync(["ask", "What is a dividend?", "--url", url], cancellation);
            Assert.True(ask.ExitCode == 0, ask.Stderr);
            Assert.DoesNotContain("started the embedded constellation", ask.Stderr);
            Assert.Contains("finance", ask.Stdout);
        }
        finally
        {
            if (!server.HasExited) Process.Start("kill", ["-INT", server.Id.ToString()])!.WaitForExit();
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        await server.WaitForExitAsync(stop.Token);
        Assert.True(server.ExitCode == 130, string.Join('\n', log)); // the conventional exit status after SIGINT, as pretrain
        Assert.Contains(log, line => line.Contains("tsuzumi serve: stopping", StringComparison.Ordinal));
    }
}
