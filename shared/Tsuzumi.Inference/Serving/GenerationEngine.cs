using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Serving;

/// <summary>
/// Continuous batching over one base model: requests join and leave the running batch at token boundaries, each row
/// with its own adapters, KV cache and sampler. Thread-safe; the model runs on the engine's own thread.
/// </summary>
/// <remarks>
/// One engine step = at most <see cref="EngineOptions.PrefillChunkTokens"/> prompt tokens of joining rows (so a long
/// prompt never stalls the running rows for more than one chunk), then one forward of [rows, 1] for every decoding row
/// with their adapters gathered into one <see cref="AdapterBatch"/>. Waiting requests are admitted round-robin over
/// <see cref="EngineRequest.FairnessKey"/>.
/// </remarks>
public sealed class GenerationEngine : IAsyncDisposable
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> the engine publishes batch sizes, tokens and outcomes on.</summary>
    public const string MeterName = "Tsuzumi.Inference.Engine";

    /// <summary>
    /// Precision of the low-rank adapter products: fp32 on CPU whatever the model's dtype (faster than libtorch's bf16
    /// bmm for these shapes, see <see cref="AdapterBatch"/>), and what <see cref="TextGenerator"/> callers use too.
    /// </summary>
    private const ScalarType AdapterDType = ScalarType.Float32;

    private readonly object gate = new(); // a Monitor: the engine thread sleeps on it (Wait) until work arrives (Pulse)
    private readonly FairQueue<EngineSequence> waiting = new();
    private readonly List<EngineSequence> running = []; // engine thread only, in admission order
    private readonly KvCachePool caches; // engine thread only: the rows' caches, so a decode step attends in one pass
    private readonly EngineMetrics metrics;
    private readonly Thread thread;
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextId;
    private int prefillThreads; // libtorch's intra-op threads on the engine thread as the process set them; engine thread only
    private int intraOpThreads;
    private volatile bool stopping;
    private volatile int runningCount;
    private DecodeAdapters? decodeAdapters;
    private DecodeAdapters? prefillAdapters; // of the rows prefilling together, which usually decode together next

    public GenerationEngine(PretrainedModel model, AdapterRegistry adapters, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapters);
        Model = model;
        Adapters = adapters;
        Options = options ?? new EngineOptions();
        if (Options.MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxBatchSize, "MaxBatchSize must be ≥ 1");
        if (Options.MaxQueueLength < 0) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxQueueLength, "MaxQueueLength must be ≥ 0");
        if (Options.PrefillChunkTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.PrefillChunkTokens, "PrefillChunkTokens must be ≥ 1");
        if (Options.GroupWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), Options.GroupWait, "GroupWait must not be negative");
        caches = new KvCachePool(model.Model.Config, model.Model.DType);
        metrics = new EngineMetrics(Path.GetFileName(model.SourcePath), () => runningCount, () => WaitingCount);
        thread = new Thread(RunEngine) { IsBackground = true, Name = $"tsuzumi-engine {Path.GetFileName(model.SourcePath)}" };
        thread.Start();
    }

    public PretrainedModel Model { get; }

    public AdapterRegistry Adapters { get; }

    public EngineOptions Options { get; }

    /// <summary>
    /// Queues <paramref name="request"/> and completes with its result. <paramref name="onToken"/> runs on the engine
    /// thread for every token (keep it cheap). Throws <see cref="EngineBusyException"/> at once when the queue is full,
    /// <see cref="UnknownAdapterException"/> for an adapter the registry lacks, and
    /// <see cref="Model.ContextWindowExceededException"/> for a prompt that does not fit. Cancelling frees the slot
    /// at the next token boundary.
    /// </summary>
    public Task<GenerationResult> GenerateAsync(EngineRequest request, Action<GeneratedToken>? onToken = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(stopping, this);
        SequenceDecoder.Validate(request.Generation, Model.Model.Config);
        ArgumentNullException.ThrowIfNull(request.Adapters);
        ArgumentNullException.ThrowIfNull(request.FairnessKey);
        if (request.Group is { } group)
        {
            ArgumentNullException.ThrowIfNull(group.Key);
            if (group.Size < 1) throw new ArgumentOutOfRangeException(nameof(request), group.Size, "a prefill group has at least one request");
        }
        foreach (var selection in request.Adapters)
        {
            if (!float.IsFinite(selection.Weight))
                throw new ArgumentOutOfRangeException(nameof(request), selection.Weight, $"the weight of adapter '{selection.AdapterId}' must be finite");
        }
        if (cancellation.IsCancellationRequested) return Task.FromCanceled<GenerationResult>(cancellation);

        // Leases are taken here, on the caller's thread: an unknown or broken adapter fails this request before it
        // queues, and a cold adapter loads from disk without stalling the engine thread.
        var leases = AcquireLeases(request.Adapters);
        var sequence = new EngineSequence(Interlocked.Increment(ref nextId), request, leases, onToken, cancellation);
        lock (gate)
        {
            if (stopping)
            {
                sequence.Dispose();
                throw new ObjectDisposedException(nameof(GenerationEngine));
            }
            if (waiting.Count >= Options.MaxQueueLength)
            {
                var length = waiting.Count;
                sequence.Dispose();
                metrics.Rejected();
                throw new EngineBusyException(length);
            }
            waiting.Enqueue(request.FairnessKey, sequence);
            Monitor.PulseAll(gate);
        }
        sequence.OnCancellation(CancelWaiting);
        return sequence.Completion.Task;
    }

    /// <summary>The same as <see cref="GenerateAsync"/>, as a token stream.</summary>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(EngineRequest request, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        // Unbounded on purpose: the engine thread must never wait for a slow reader (the request's MaxTokens bounds it).
        // A reader that stops early cancels the request through the finally below, freeing its row.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var channel = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var generation = GenerateAsync(request, token => channel.Writer.TryWrite(token), stop.Token);
        _ = generation.ContinueWith(_ => channel.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var token in channel.Reader.ReadAllAsync(cancellation))
            {
                cancellation.ThrowIfCancellationRequested(); // buffered tokens are not handed out after a cancel
                yield return token;
            }
            await generation; // its failure or cancellation, if any
        }
        finally
        {
            await stop.CancelAsync();
            await ((Task)generation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Tensors alive on the engine thread when its last row left (TorchSharp's per-thread count), recorded before that
    /// row's task completes: an engine that leaks nothing shows the same number after every burst of requests.
    /// </summary>
    internal long IdleLiveTensors { get; private set; }


    public EngineStatistics Statistics => metrics.Snapshot(runningCount, WaitingCount);

    /// <summary>Stops taking requests, cancels the waiting ones, and finishes after the engine thread exits.</summary>
    public async ValueTask DisposeAsync()
    {
        IReadOnlyList<EngineSequence> abandoned;
        lock (gate)
        {
            if (!stopping)
            {
                stopping = true;
                Monitor.PulseAll(gate);
            }
            abandoned = waiting.Drain();
        }
        foreach (var sequence in abandoned) CancelUnadmitted(sequence, CancellationToken.None);
        await exited.Task.ConfigureAwait(false);
        metrics.Dispose();
    }

    private int WaitingCount
    {
        get { lock (gate) return waiting.Count; }
    }

    private AdapterLease[] AcquireLeases(IReadOnlyList<AdapterSelection> selections)
    {
        var leases = new List<AdapterLease>(selections.Count);
        try
        {
            foreach (var selection in selections) leases.Add(Adapters.Acquire(selection.AdapterId));
            return leases.ToArray();
        }
        catch
        {
            foreach (var lease in leases) lease.Dispose();
            throw;
        }
    }

    /// <summary>A request cancelled while it still waits leaves the queue at once; a running one leaves at its next token boundary.</summary>
    private void CancelWaiting(EngineSequence sequence)
    {
        bool removed;
        lock (gate) removed = waiting.Remove(sequence.Request.FairnessKey, sequence);
        if (removed) CancelUnadmitted(sequence, sequence.Cancellation);
    }

    /// <summary>Ends a request that never became a row; any thread may call it once the request has left the queue.</summary>
    private void CancelUnadmitted(EngineSequence sequence, CancellationToken cancellation)
    {
        sequence.Dispose();
        if (sequence.Completion.TrySetCanceled(cancellation)) metrics.Cancelled();
    }

    private void RunEngine()
    {
        // Asking initialises this thread's libtorch thread count from the process's setting; from then on it is this
        // thread's own (OpenMP keeps it per thread), so switching it here leaves other threads alone.
        prefillThreads = intraOpThreads = get_num_threads();
        try
        {
            while (WaitForWork())
            {
                try
                {
                    Step();
                }
                catch (Exception unexpected)
                {
                    // Failures of one row are handled where they happen; anything reaching here concerns the batch as a
                    // whole, so its rows fail and the engine goes on serving the queue.
                    foreach (var sequence in running.ToArray()) Fail(sequence, unexpected);
                }
            }
        }
        finally
        {
            // Normally DisposeAsync got here first; should the loop itself ever break, nothing may wait on a dead engine.
            IReadOnlyList<EngineSequence> abandoned;
            lock (gate)
            {
                stopping = true;
                abandoned = waiting.Drain();
            }
            foreach (var sequence in abandoned) CancelUnadmitted(sequence, CancellationToken.None);
            foreach (var sequence in running.ToArray()) Cancel(sequence, CancellationToken.None);
            caches.Dispose();
            exited.TrySetResult();
        }
    }

    /// <summary>Blocks while there is nothing to do; admits waiting requests into free rows. False once the engine stops.</summary>
    private bool WaitForWork()
    {
        lock (gate)
        {
            while (!stopping && running.Count == 0 && waiting.Count == 0) Monitor.Wait(gate);
            while (!stopping && running.Count == 0 && SiblingsStillComing() is { } left) Monitor.Wait(gate, left);
            if (stopping) return false;
            while (running.Count < Options.MaxBatchSize && waiting.TryDequeue(out var admitted))
            {
                try
                {
                    admitted.Admit(Model.Model, Model.Tokenizer, caches);
                    running.Add(admitted);
                }
                catch (Exception failure)
                {
                    admitted.Dispose();
                    if (admitted.Completion.TrySetException(failure)) metrics.Failed();
                }
            }
            runningCount = running.Count;
            return true;
        }
    }

    /// <summary>
    /// How much longer an idle engine holds its waiting requests for the missing members of their
    /// <see cref="PrefillGroup"/>s; null, so work starts now, when anything waiting is ungrouped, or its group is
    /// complete, or has waited <see cref="EngineOptions.GroupWait"/> since its first member arrived. Called under the gate.
    /// </summary>
    private TimeSpan? SiblingsStillComing()
    {
        TimeSpan? left = null;
        foreach (var members in waiting.Items.GroupBy(sequence => sequence.Request.Group?.Key))
        {
            if (members.Key is null || members.Count() >= members.First().Request.Group!.Size) return null;
            var remaining = Options.GroupWait - Stopwatch.GetElapsedTime(members.Min(sequence => sequence.SubmittedAt));
            if (remaining <= TimeSpan.Zero) return null;
            if (left is null || remaining < left) left = remaining;
        }
        return left;
    }

    private void Step()
    {
        foreach (var sequence in running.ToArray())
        {
            if (sequence.Cancellation.IsCancellationRequested) Cancel(sequence, sequence.Cancellation);
        }
        Prefill();
        Decode();
    }

    /// <summary>
    /// At most <see cref="EngineOptions.PrefillChunkTokens"/> prompt tokens: the next chunk of the earliest admitted row
    /// still prefilling, together with other joining rows whose next chunk has the same length while the budget allows
    /// (a burst of short prompts joins in one forward instead of one per step). The members of the first row's
    /// <see cref="PrefillGroup"/> join past the budget: a fan-out's three 41-token prompts on a 0.5B model otherwise took
    /// three forwards of ~250 ms one after another, each reading every weight again (docs/benchmarks.md), and the group
    /// is as small as the number of specialists asked. A row's last chunk yields its first token.
    /// </summary>
    private void Prefill()
    {
        var first = running.FirstOrDefault(row => row.IsPrefilling);
        if (first is null) return;
        var length = first.NextChunkLength(Options.PrefillChunkTokens);
        var budget = Math.Max(1, Options.PrefillChunkTokens / length);
        var group = first.Request.Group?.Key;
        var rows = running.Where(row => row.IsPrefilling && row.NextChunkLength(Options.PrefillChunkTokens) == length)
            .Where((row, index) => index < budget || (group is not null && row.Request.Group?.Key == group))
            .ToArray();
        Run(rows, length, decoding: false, row => row.NextPromptChunk(length), (row, logits) =>
        {
            row.MarkPrefilled(length);
            metrics.Prefilled(length);
            if (row.IsPrefilling) return false;
            return row.IsFinished || AcceptAndCount(row, logits);
        });
    }

    /// <summary>One token for every decoding row: a single forward of [rows, 1] with each row's adapters.</summary>
    private void Decode()
    {
        var rows = running.Where(row => !row.IsPrefilling && !row.IsFinished).ToArray();
        if (rows.Length == 0) return;
        Run(rows, 1, decoding: true, row => [row.PendingToken], AcceptAndCount);
    }

    /// <summary>What one row does with the logits of its last position; true when the row is done.</summary>
    private delegate bool RowStep(EngineSequence row, ReadOnlySpan<float> logits);

    /// <summary>
    /// One forward of <paramref name="length"/> new tokens for every row, then <paramref name="step"/> per row; a row
    /// whose step throws fails alone. When the batched forward itself throws, which row broke it is unknown: each row
    /// runs again alone, so only a row that also fails by itself fails.
    /// </summary>
    private void Run(EngineSequence[] rows, int length, bool decoding, Func<EngineSequence, int[]> input, RowStep step)
    {
        float[] logits;
        try
        {
            logits = Forward(rows, length, decoding, input);
        }
        catch (Exception) when (rows.Length > 1)
        {
            foreach (var row in rows) Run([row], length, decoding, input, step);
            return;
        }
        catch (Exception failure)
        {
            Fail(rows[0], failure);
            return;
        }
        if (decoding) metrics.DecodeStep(rows.Length);
        var vocabulary = Model.Model.Config.VocabSize;
        for (var index = 0; index < rows.Length; index++)
        {
            var row = rows[index];
            try
            {
                if (step(row, logits.AsSpan(index * vocabulary, vocabulary))) Complete(row);
            }
            catch (Exception failure)
            {
                Fail(row, failure);
            }
        }
    }

    /// <summary>Logits of the last position of every row, [rows × vocabulary], all tensors of the pass disposed.</summary>
    private float[] Forward(EngineSequence[] rows, int length, bool decoding, Func<EngineSequence, int[]> input)
    {
        UseIntraOpThreads(decoding && SingleRowProjection.TakesRows(Model.Model.DType, rows.Length) ? 1 : prefillThreads);
        var adapters = !rows.Any(row => row.HasAdapters) ? null
            : rows.Length == 1 ? rows[0].OwnAdapters(AdapterDType)
            : AdaptersFor(rows, decoding);
        using var scope = NewDisposeScope();
        var ids = tensor(rows.SelectMany(row => input(row).Select(id => (long)id)).ToArray(), new long[] { rows.Length, length });
        return Model.Model.Forward(ids, rows.Select(row => row.Cache).ToArray(), adapters: adapters).data<float>().ToArray();
    }

    /// <summary>
    /// A decode step whose projections all run in the C# kernel (<see cref="SingleRowProjection"/>, on .NET's own
    /// threads) leaves libtorch only small per-row operations — attention over one row's cache, rotary, norms, the
    /// adapters' low-rank products — where waking a second OpenMP thread costs more than it saves: on tsuzumi-nano a
    /// three-row step took 10.9 ms with libtorch's two threads and 5.2 ms with one (2 busy cores, docs/benchmarks.md).
    /// Prefill, and decode steps libtorch's GEMM takes, keep the process's thread count.
    /// </summary>
    private void UseIntraOpThreads(int threads)
    {
        if (threads == intraOpThreads) return;
        set_num_threads(threads);
        intraOpThreads = threads;
    }

    /// <summary>
    /// The adapters of several rows, rebuilt only when the rows change: decode steps and prefill forwards each keep the
    /// last set they used (chunked prefill alternates between the two); rows that prefilled together — a fan-out's asks
    /// arriving at once — take their stacks on to their first decode step, and when rows finish the others' stacks are
    /// narrowed: building stacks costs a few libtorch operations per row and adapted module, about a decode step's time
    /// on tsuzumi-nano (docs/benchmarks.md, "Fan-out, second pass").
    /// </summary>
    private AdapterBatch AdaptersFor(IReadOnlyList<EngineSequence> rows, bool decoding)
    {
        if (!decoding)
        {
            if (prefillAdapters is { } joining && joining.Matches(rows)) return joining.Batch;
            prefillAdapters?.Dispose();
            prefillAdapters = new DecodeAdapters(rows, AdapterDType);
            return prefillAdapters.Batch;
        }
        if (decodeAdapters is { } current && current.Matches(rows)) return current.Batch;
        DecodeAdapters next;
        if (prefillAdapters is { } prefilled && prefilled.Matches(rows))
        {
            next = prefilled;
            prefillAdapters = null;
        }
        else
        {
            // Rows that finished leave the others' stacks to be narrowed, not rebuilt.
            next = decodeAdapters?.Keep(rows) ?? new DecodeAdapters(rows, AdapterDType);
        }
        decodeAdapters?.Dispose();
        decodeAdapters = next;
        return next.Batch;
    }

    private bool AcceptAndCount(EngineSequence row, ReadOnlySpan<float> logits)
    {
        var first = row.TokenCount == 0;
        var finished = row.Accept(logits);
        metrics.Generated(1);
        if (first) metrics.FirstToken(row.TimeToFirstToken);
        return finished;
    }

    private void Complete(EngineSequence sequence)
    {
        var result = sequence.Result();
        Leave(sequence);
        if (sequence.Completion.TrySetResult(result)) metrics.Completed();
    }

    private void Fail(EngineSequence sequence, Exception failure)
    {
        Leave(sequence);
        if (sequence.Completion.TrySetException(failure)) metrics.Failed();
    }

    private void Cancel(EngineSequence sequence, CancellationToken cancellation)
    {
        Leave(sequence);
        if (sequence.Completion.TrySetCanceled(cancellation)) metrics.Cancelled();
    }

    /// <summary>Frees the row (cache, leases) and its place in the batch; the next step may admit a waiting request. Engine thread only.</summary>
    private void Leave(EngineSequence sequence)
    {
        var wasRunning = running.Remove(sequence);
        runningCount = running.Count;
        sequence.Dispose();
        if (wasRunning && running.Count == 0)
        {
            // An idle engine holds no tensors of its own: the last batch's adapter stacks go too.
            decodeAdapters?.Dispose();
            decodeAdapters = null;
            prefillAdapters?.Dispose();
            prefillAdapters = null;
            // libtorch also keeps the last count set as the one threads starting later begin with: an idle engine leaves the process's.
            UseIntraOpThreads(prefillThreads);
            IdleLiveTensors = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        }
    }
}
