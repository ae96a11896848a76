using System.Diagnostics;
using System.Text;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Serving;

/// <summary>
/// One request inside the engine: waiting, then a row of the running batch with its own KV cache, decoder (sampler,
/// stop strings, limits) and adapters. Everything but <see cref="Completion"/> is touched by the engine thread only
/// once the request has been admitted.
/// </summary>
internal sealed class EngineSequence : IDisposable
{
    private readonly AdapterLease[] leases;
    private readonly Action<GeneratedToken>? onToken;
    private readonly List<GeneratedToken> tokens = [];
    private readonly StringBuilder text = new();
    private long firstTokenAt;
    private KvCache? cache;
    private SequenceDecoder? decoder;
    private AdapterBatch? ownAdapters;
    private CancellationTokenRegistration cancellationRegistration;
    private int disposed;

    public EngineSequence(long id, EngineRequest request, AdapterLease[] leases, Action<GeneratedToken>? onToken, CancellationToken cancellation)
    {
        Id = id;
        Request = request;
        this.leases = leases;
        this.onToken = onToken;
        Cancellation = cancellation;
        Adapters = request.Adapters.Select((selection, index) => new WeightedAdapter(leases[index].Adapter, selection.Weight)).ToArray();
        SubmittedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Submission order: identifies the row in a batch composition.</summary>
    public long Id { get; }

    public EngineRequest Request { get; }

    public GenerationRequest Generation => Request.Generation;

    public CancellationToken Cancellation { get; }

    /// <summary>This row's adapters (empty = the base model), held alive by the leases until the request ends.</summary>
    public IReadOnlyList<WeightedAdapter> Adapters { get; }

    public bool HasAdapters => Adapters.Any(adapter => adapter.Weight != 0);

    public long SubmittedAt { get; }

    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public KvCache Cache => cache ?? throw new InvalidOperationException("the sequence has not been admitted");

    /// <summary>Prompt tokens already in the cache.</summary>
    public int Prefilled { get; private set; }

    public bool IsPrefilling => Prefilled < Generation.PromptTokens.Count;

    /// <summary>The token the next decode step feeds (the last one produced).</summary>
    public int PendingToken { get; private set; }

    public bool IsFinished => decoder?.IsFinished ?? false;

    /// <summary>Tokens produced so far.</summary>
    public int TokenCount => tokens.Count;

    /// <summary>Calls <paramref name="cancelled"/> when the caller cancels; the registration ends with the sequence.</summary>
    public void OnCancellation(Action<EngineSequence> cancelled)
    {
        if (!Cancellation.CanBeCanceled) return;
        cancellationRegistration = Cancellation.Register(() => cancelled(this));
        if (Volatile.Read(ref disposed) == 1) cancellationRegistration.Dispose(); // ended while registering
    }

    /// <summary>Becomes a row: its cache (a slot of the engine's <paramref name="caches"/>) and decoder exist from now until <see cref="Dispose"/>.</summary>
    public void Admit(LlamaForCausalLM model, ITokenizer tokenizer, KvCachePool caches)
    {
        cache = caches.CreateCache();
        decoder = new SequenceDecoder(Generation, tokenizer, model.Config.MaxPositionEmbeddings);
    }

    /// <summary>How long the next prompt chunk is when chunks hold at most <paramref name="maxTokens"/>.</summary>
    public int NextChunkLength(int maxTokens) => Math.Min(maxTokens, Generation.PromptTokens.Count - Prefilled);

    /// <summary>The next <paramref name="length"/> prompt tokens to prefill.</summary>
    public int[] NextPromptChunk(int length) => Generation.PromptTokens.Skip(Prefilled).Take(length).ToArray();

    public void MarkPrefilled(int tokenCount) => Prefilled += tokenCount;

    /// <summary>This row's adapters as a one-row batch, for its prefill or a retry alone; null for the base model.</summary>
    public AdapterBatch? OwnAdapters(ScalarType dtype) =>
        HasAdapters ? ownAdapters ??= new AdapterBatch([Adapters], dtype) : null;

    /// <summary>Samples the token after <paramref name="logits"/>, hands it to the caller, and says whether the sequence is done.</summary>
    public bool Accept(ReadOnlySpan<float> logits)
    {
        var token = decoder!.Next(logits, Cache.Length);
        if (tokens.Count == 0) firstTokenAt = Stopwatch.GetTimestamp();
        tokens.Add(token);
        text.Append(token.Text);
        PendingToken = token.Id;
        onToken?.Invoke(token);
        return decoder.IsFinished;
    }

    /// <summary>The request's result; prefill time runs from submission (queueing included) to the first token.</summary>
    public GenerationResult Result()
    {
        var now = Stopwatch.GetTimestamp();
        var firstToken = tokens.Count == 0 ? now : firstTokenAt;
        return new GenerationResult(text.ToString(), tokens.ToArray(), decoder!.Reason, Generation.PromptTokens.Count,
            Stopwatch.GetElapsedTime(SubmittedAt, firstToken), Stopwatch.GetElapsedTime(firstToken, now));
    }

    public TimeSpan TimeToFirstToken => Stopwatch.GetElapsedTime(SubmittedAt, firstTokenAt);

    /// <summary>Frees the cache and the adapter leases; safe to call more than once.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref disposed, 1);
        cancellationRegistration.Dispose();
        cache?.Dispose();
        cache = null;
        ownAdapters?.Dispose();
        ownAdapters = null;
        foreach (var lease in leases) lease.Dispose();
    }
}
