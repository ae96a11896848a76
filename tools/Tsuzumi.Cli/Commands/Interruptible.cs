using System.Runtime.InteropServices;

namespace Tsuzumi.Cli.Commands;

/// <summary>
/// Long runs (training, pretraining) that Ctrl-C or SIGTERM must stop cleanly — after the current step, with a
/// checkpoint written — rather than kill.
/// </summary>
internal static class Interruptible
{
    /// <summary>Runs <paramref name="work"/> with a token that Ctrl-C, SIGTERM or <paramref name="cancellation"/> cancels.</summary>
    public static async Task<int> RunAsync(string name, CancellationToken cancellation, Func<CancellationToken, int> work)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var interrupt = StopOn(PosixSignal.SIGINT, stop);
        using var terminate = StopOn(PosixSignal.SIGTERM, stop);
        return await RunToTheEnd(name, () => work(stop.Token));
    }

    private static PosixSignalRegistration StopOn(PosixSignal signal, CancellationTokenSource stop) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

    /// <summary>
    /// Runs <paramref name="work"/> on a foreground thread. On Ctrl-C, System.CommandLine cancels the token but stops
    /// waiting after two seconds and lets Main return; a step can take longer than that, and the process must not end
    /// before the step finishes and the checkpoint is written. A foreground thread keeps it alive until then.
    /// </summary>
    private static Task<int> RunToTheEnd(string name, Func<int> work)
    {
        var finished = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                finished.SetResult(work());
            }
            catch (Exception error)
            {
                finished.SetException(error);
            }
        }) { IsBackground = false, Name = name };
        thread.Start();
        return finished.Task;
    }
}
