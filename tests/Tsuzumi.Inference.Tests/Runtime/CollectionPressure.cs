using System.Collections.Concurrent;

namespace Tsuzumi.Inference.Tests.Runtime;

/// <summary>
/// Runs work on two threads while a third forces collections and finalisers as often as it can: the window in which
/// TorchSharp could free a Scalar that libtorch still reads (docs/decisions/0020-scalar-lifetime.md) opens thousands
/// of times in a few seconds.
/// </summary>
internal static class CollectionPressure
{
    /// <summary>How long each run lasts; it stops by itself.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);

    /// <summary>Runs <paramref name="pass"/> on two threads until <see cref="Duration"/> is up or one fails.</summary>
    public static (int Passes, string[] Failures) UnderCollections(Func<string?> pass)
    {
        var until = DateTime.UtcNow + Duration;
        var failures = new ConcurrentQueue<string>();
        var passes = 0;
        var collector = new Thread(() =>
        {
            while (DateTime.UtcNow < until && failures.IsEmpty)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        var workers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            while (DateTime.UtcNow < until && failures.IsEmpty)
            {
                try
                {
                    if (pass() is { } failure) failures.Enqueue(failure);
                    Interlocked.Increment(ref passes);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.Message.Split('\n')[0]);
                }
            }
        })).ToList();
        collector.Start();
        workers.ForEach(worker => worker.Start());
        workers.ForEach(worker => worker.Join());
        collector.Join();
        return (passes, failures.Distinct().ToArray());
    }
}
