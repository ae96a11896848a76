using System.Diagnostics;
using System.Text;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Generation;

/// <summary>
/// Single-stream generation with a KV cache: prefill the prompt once, then one token per step. With
/// <paramref name="adapters"/> (one row), every step adds those LoRA corrections; null runs the base model.
/// </summary>
public sealed class TextGenerator(LlamaForCausalLM model, ITokenizer tokenizer, AdapterBatch? adapters = null)
{
    /// <summary>Generates to the end and returns the text, tokens and timings; <paramref name="onToken"/> sees each token as it comes.</summary>
    public GenerationResult Generate(GenerationRequest request, CancellationToken cancellation = default, Action<GeneratedToken>? onToken = null)
    {
        var tokens = new List<GeneratedToken>();
        var text = new StringBuilder();
        var outcome = Run(request, token =>
        {
            tokens.Add(token);
            text.Append(token.Text);
            onToken?.Invoke(token);
        }, cancellation);
        return new GenerationResult(text.ToString(), tokens, outcome.Reason, request.PromptTokens.Count, outcome.Prefill, outcome.Decode);
    }

    /// <summary>Streams tokens as they are produced; text is only released in whole UTF-8 characters and never includes a stop string.</summary>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(GenerationRequest request,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        // A small bounded buffer: the producer runs at most a few tokens ahead of the reader, and a reader that stops
        // (breaks out, or cancels) stops the producer through the finally below instead of letting it run to MaxTokens.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var channel = System.Threading.Channels.Channel.CreateBounded<GeneratedToken>(
            new System.Threading.Channels.BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() =>
        {
            try
            {
                Run(request, token => channel.Writer.WriteAsync(token, stop.Token).AsTask().GetAwaiter().GetResult(), stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception failure)
            {
                channel.Writer.Complete(failure);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var token in channel.Reader.ReadAllAsync(cancellation))
            {
                cancellation.ThrowIfCancellationRequested(); // buffered tokens are not handed out after a cancel
                yield return token;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producer; // never throws: failures travel through the channel
        }
    }

    private (FinishReason Reason, TimeSpan Prefill, TimeSpan Decode) Run(GenerationRequest request, Action<GeneratedToken> emit, CancellationToken cancellation)
    {
        if (adapters is not null && adapters.RowCount != 1)
            throw new ArgumentException($"a single stream needs adapters for 1 row, not {adapters.RowCount}", nameof(request));
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt has no tokens (not even BOS)", nameof(request));
        if (request.MaxTokens < 0) throw new ArgumentOutOfRangeException(nameof(request), request.MaxTokens, "max tokens must be ≥ 0");
        var contextWindow = model.Config.MaxPositionEmbeddings;
        if (request.PromptTokens.Count > contextWindow)
            throw new ContextWindowExceededException(request.PromptTokens.Count, contextWindow);
        foreach (var id in request.PromptTokens)
        {
            if ((uint)id >= (uint)model.Config.VocabSize)
                throw new ArgumentException($"prompt token id {id} is outside the vocabulary (0..{model.Config.VocabSize - 1})", nameof(request));
        }

        var sampler = new Sampler(request.Sampling);
        var history = new List<int>(request.PromptTokens);
        var text = new TextReleaser(tokenizer, request.StopStrings);
        using var cache = model.CreateCache();
        var clock = Stopwatch.StartNew();
        var logits = Step(request.PromptTokens, cache);
        var prefill = clock.Elapsed;
        clock.Restart();

        var reason = FinishReason.Length;
        for (var produced = 0; produced < request.MaxTokens; produced++)
        {
            cancellation.ThrowIfCancellationRequested();
            var id = sampler.Next(logits, history);
            var logProbability = Sampler.LogProbability(logits, id);
            history.Add(id);
            if (request.StopAtEndOfGeneration && tokenizer.EndOfGenerationIds.Contains(id))
            {
                reason = FinishReason.EndOfSequence;
                emit(new GeneratedToken(id, text.Flush(), logProbability));
                break;
            }
            var released = text.Add(id, out var stopped);
            var last = stopped || produced + 1 == request.MaxTokens || cache.Length >= contextWindow;
            if (last && !stopped) released += text.Flush();
            emit(new GeneratedToken(id, released, logProbability));
            if (stopped) reason = FinishReason.StopString;
            if (last) break;
            logits = Step([id], cache);
        }
        return (reason, prefill, clock.Elapsed);
    }

    private float[] Step(IReadOnlyList<int> tokenIds, KvCache cache)
    {
        using var scope = NewDisposeScope();
        var input = tensor(tokenIds.Select(id => (long)id).ToArray(), new long[] { 1, tokenIds.Count });
        return model.Forward(input, [cache], adapters: adapters).reshape(-1).data<float>().ToArray();
    }

    /// <summary>
    /// Turns token bytes into text that is safe to release: whole UTF-8 characters only, and never the start of
    /// what might become a stop string.
    /// </summary>
    private sealed class TextReleaser(ITokenizer tokenizer, IReadOnlyList<string> stopStrings)
    {
        // Special tokens other than the end ones are shown as their text; the first generated piece starts the text.
        private readonly StreamingDetokenizer detokenizer = new(tokenizer, skipSpecialTokens: false, startsText: true);
        private readonly StringBuilder pending = new();

        public string Add(int id, out bool stopped)
        {
            pending.Append(detokenizer.Add(id));

            var current = pending.ToString();
            foreach (var stop in stopStrings)
            {
                var at = stop.Length == 0 ? -1 : current.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0)
                {
                    stopped = true;
                    pending.Clear();
                    return current[..at];
                }
            }
            stopped = false;
            var hold = stopStrings.Select(stop => LongestSuffixThatStarts(current, stop)).DefaultIfEmpty(0).Max();
            var release = current[..^hold];
            pending.Remove(0, release.Length);
            return release;
        }

        public string Flush()
        {
            pending.Append(detokenizer.Flush());
            var rest = pending.ToString();
            pending.Clear();
            return rest;
        }

        private static int LongestSuffixThatStarts(string text, string stop)
        {
            for (var length = Math.Min(text.Length, stop.Length - 1); length > 0; length--)
            {
                if (string.CompareOrdinal(text, text.Length - length, stop, 0, length) == 0) return length;
            }
            return 0;
        }
    }
}
