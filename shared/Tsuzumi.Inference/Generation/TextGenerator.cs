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
        SequenceDecoder.Validate(request, model.Config);

        var decoder = new SequenceDecoder(request, tokenizer, model.Config.MaxPositionEmbeddings);
        using var cache = model.CreateCache();
        var clock = Stopwatch.StartNew();
        var logits = Step(request.PromptTokens, cache);
        var prefill = clock.Elapsed;
        clock.Restart();

        while (!decoder.IsFinished)
        {
            cancellation.ThrowIfCancellationRequested();
            var token = decoder.Next(logits, cache.Length);
            emit(token);
            if (!decoder.IsFinished) logits = Step([token.Id], cache);
        }
        return (decoder.Reason, prefill, clock.Elapsed);
    }

    private float[] Step(IReadOnlyList<int> tokenIds, KvCache cache)
    {
        using var scope = NewDisposeScope();
        var input = tensor(tokenIds.Select(id => (long)id).ToArray(), new long[] { 1, tokenIds.Count });
        return model.Forward(input, [cache], adapters: adapters).reshape(-1).data<float>().ToArray();
    }
}
