using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Generation;

/// <summary>
/// The per-sequence half of generation, apart from the forward pass: turns each step's logits into the next token
/// (sampling, log-probability, released text) and decides when the sequence ends (max tokens, end of generation,
/// stop string, full context window). <see cref="TextGenerator"/> drives one; the serving engine drives one per row.
/// </summary>
internal sealed class SequenceDecoder
{
    private readonly GenerationRequest request;
    private readonly ITokenizer tokenizer;
    private readonly long contextWindow;
    private readonly Sampler sampler;
    private readonly List<int> history;
    private readonly TextReleaser text;
    private int produced;

    public SequenceDecoder(GenerationRequest request, ITokenizer tokenizer, long contextWindow)
    {
        this.request = request;
        this.tokenizer = tokenizer;
        this.contextWindow = contextWindow;
        sampler = new Sampler(request.Sampling);
        history = new List<int>(request.PromptTokens);
        text = new TextReleaser(tokenizer, request.StopStrings);
        IsFinished = request.MaxTokens == 0;
    }

    /// <summary>True once the last token has been produced (or none is wanted): feed no more logits.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>Why the sequence ended; <see cref="FinishReason.Length"/> until it ends otherwise.</summary>
    public FinishReason Reason { get; private set; } = FinishReason.Length;

    /// <summary>
    /// Chooses the token that follows <paramref name="logits"/> (fp32, one position). <paramref name="cachedPositions"/>
    /// is how many positions the sequence's cache holds: when the window is full the token cannot be fed back, so it is the last.
    /// </summary>
    public GeneratedToken Next(ReadOnlySpan<float> logits, long cachedPositions)
    {
        if (IsFinished) throw new InvalidOperationException("the sequence has already finished");
        var id = sampler.Next(logits, history);
        var logProbability = Sampler.LogProbability(logits, id);
        history.Add(id);
        produced++;
        if (request.StopAtEndOfGeneration && tokenizer.EndOfGenerationIds.Contains(id))
        {
            Reason = FinishReason.EndOfSequence;
            IsFinished = true;
            return new GeneratedToken(id, text.Flush(), logProbability);
        }
        var released = text.Add(id, out var stopped);
        var last = stopped || produced == request.MaxTokens || cachedPositions >= contextWindow;
        if (last && !stopped) released += text.Flush();
        if (stopped) Reason = FinishReason.StopString;
        IsFinished = last;
        return new GeneratedToken(id, released, logProbability);
    }

    /// <summary>The checks every generation makes before it runs: a clear error for a request that cannot run.</summary>
    public static void Validate(GenerationRequest request, LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt has no tokens (not even BOS)", nameof(request));
        if (request.MaxTokens < 0) throw new ArgumentOutOfRangeException(nameof(request), request.MaxTokens, "max tokens must be ≥ 0");
        request.Sampling.Validate();
        var contextWindow = config.MaxPositionEmbeddings;
        if (request.PromptTokens.Count > contextWindow)
            throw new ContextWindowExceededException(request.PromptTokens.Count, contextWindow);
        foreach (var id in request.PromptTokens)
        {
            if ((uint)id >= (uint)config.VocabSize)
                throw new ArgumentException($"prompt token id {id} is outside the vocabulary (0..{config.VocabSize - 1})", nameof(request));
        }
    }
}
