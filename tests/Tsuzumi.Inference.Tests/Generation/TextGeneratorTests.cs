using System.Text;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Testing;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Generation;

/// <summary>stories260K loaded once for every generation scenario.</summary>
public sealed class StoriesModel : IDisposable
{
    private readonly Lazy<PretrainedModel?> loaded = new(() =>
    {
        var path = Path.Combine(RepositoryPaths.SharedDirectory, "models/stories260K/stories260K.gguf");
        return File.Exists(path) ? PretrainedModel.Load(path, ScalarType.Float32) : null;
    });

    public PretrainedModel Require()
    {
        RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
        return loaded.Value!;
    }

    public void Dispose()
    {
        if (loaded.IsValueCreated) loaded.Value?.Dispose();
    }
}

public sealed class TextGeneratorTests(StoriesModel stories) : IClassFixture<StoriesModel>
{
    private const string Prompt = "Once upon a time";

    private PretrainedModel Model => stories.Require();

    private TextGenerator Generator(ITokenizer? tokenizer = null) => new(Model.Model, tokenizer ?? Model.Tokenizer);

    private GenerationRequest Request(int maxTokens, SamplingOptions? sampling = null, string prompt = Prompt) =>
        new(Model.Tokenizer.Encode(prompt), maxTokens, sampling ?? SamplingOptions.Greedy);

    /// <summary>Argmax decoding written out by hand, the reference for greedy generation.</summary>
    private (int[] Tokens, float[][] Logits) Reference(IReadOnlyList<int> prompt, IReadOnlyList<int>? forced, int steps)
    {
        using var cache = Model.Model.CreateCache();
        var tokens = new List<int>();
        var logits = new List<float[]>();
        var input = prompt.ToArray();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var row = Model.Model.Forward(tensor(input.Select(id => (long)id).ToArray(), new long[] { 1, input.Length }), [cache])
                .reshape(-1).data<float>().ToArray();
            logits.Add(row);
            var next = forced is null ? Sampler.ArgMax(row) : forced[step];
            tokens.Add(next);
            input = [next];
        }
        return (tokens.ToArray(), logits.ToArray());
    }

    [Fact]
    public void Greedy_generation_is_argmax_decoding_and_its_text_is_the_decoded_tokens()
    {
        var request = Request(40);
        var result = Generator().Generate(request, TestContext.Current.CancellationToken);

        var (expected, _) = Reference(request.PromptTokens, null, 40);
        Assert.Equal(expected, result.Tokens.Select(token => token.Id));
        Assert.Equal(Model.Tokenizer.Decode(expected), result.Text);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(request.PromptTokens.Count, result.PromptTokenCount);
    }

    [Fact]
    public void Seeded_sampling_repeats_and_another_seed_differs()
    {
        string Sample(int seed) => Generator().Generate(Request(60, new SamplingOptions { Temperature = 1f, Seed = seed }), TestContext.Current.CancellationToken).Text;

        Assert.Equal(Sample(7), Sample(7));
        Assert.NotEqual(Sample(7), Sample(8));
    }

    [Fact]
    public void Each_token_carries_the_log_softmax_of_the_logits_it_was_drawn_from()
    {
        var request = Request(30, new SamplingOptions { Temperature = 1.2f, TopK = 40, RepetitionPenalty = 1.3f, Seed = 4 });
        var result = Generator().Generate(request, TestContext.Current.CancellationToken);

        var ids = result.Tokens.Select(token => token.Id).ToArray();
        var (_, logits) = Reference(request.PromptTokens, ids, ids.Length);
        for (var step = 0; step < ids.Length; step++)
        {
            using var logSoftmax = tensor(logits[step]).log_softmax(0);
            Assert.Equal(logSoftmax[ids[step]].item<float>(), result.Tokens[step].LogProbability, 1e-4f);
        }
        Assert.Equal(result.Tokens.Average(token => token.LogProbability), result.MeanLogProbability, 1e-9);
    }

    [Fact]
    public void Max_tokens_bounds_the_output()
    {
        var seven = Generator().Generate(Request(7), TestContext.Current.CancellationToken);
        Assert.Equal(7, seven.Tokens.Count);
        Assert.Equal(FinishReason.Length, seven.FinishReason);

        var none = Generator().Generate(Request(0), TestContext.Current.CancellationToken);
        Assert.Empty(none.Tokens);
        Assert.Equal("", none.Text);
    }

    [Fact]
    public void Text_stops_before_a_stop_string_and_no_chunk_holds_part_of_it()
    {
        var full = Generator().Generate(Request(80), TestContext.Current.CancellationToken).Text;
        // A stop string that spans several tokens, taken from the middle of the greedy text.
        var stop = "Lily";
        var at = full.IndexOf(stop, StringComparison.Ordinal);
        Assert.True(at > 0, $"the greedy text should mention Lily: {full}");

        var chunks = new List<string>();
        var result = Generator().Generate(Request(80) with { StopStrings = ["no such words", stop] }, TestContext.Current.CancellationToken, token => chunks.Add(token.Text));

        Assert.Equal(FinishReason.StopString, result.FinishReason);
        Assert.Equal(full[..at], result.Text);
        Assert.Equal(result.Text, string.Concat(chunks));
        Assert.All(chunks, chunk => Assert.DoesNotContain(stop, chunk));
        // Every prefix of the stream is a prefix of the final text: nothing of "Lily" was released and taken back.
        Assert.DoesNotContain(chunks.Aggregate("", (text, chunk) => text + chunk), new[] { "L", "Li", "Lil" }.Select(prefix => full[..at] + prefix));
    }

    [Fact]
    public void An_end_of_generation_token_ends_with_end_of_sequence()
    {
        var greedy = Generator().Generate(Request(20), TestContext.Current.CancellationToken).Tokens.Select(token => token.Id).ToArray();
        // Declare the model's 6th greedy token an end token: generation must end there, releasing no text for it.
        var end = greedy[5];
        var firstEnd = Array.IndexOf(greedy, end);
        var result = Generator(new EndTokensTokenizer(Model.Tokenizer, end)).Generate(Request(20), TestContext.Current.CancellationToken);

        Assert.Equal(FinishReason.EndOfSequence, result.FinishReason);
        Assert.Equal(greedy[..(firstEnd + 1)], result.Tokens.Select(token => token.Id));
        Assert.Equal("", result.Tokens[^1].Text);
        Assert.Equal(Model.Tokenizer.Decode(greedy[..firstEnd]), result.Text);

        var ignoring = Generator(new EndTokensTokenizer(Model.Tokenizer, end)).Generate(Request(20) with { StopAtEndOfGeneration = false }, TestContext.Current.CancellationToken);
        Assert.Equal(20, ignoring.Tokens.Count);
    }

    [Fact]
    public void Cancelling_mid_generation_throws_promptly()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var produced = 0;
        var producedAtCancel = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => Generator().Generate(Request(500, new SamplingOptions { Temperature = 1f }), cancellation.Token, _ =>
        {
            if (++produced == 5)
            {
                producedAtCancel = produced;
                cancellation.Cancel();
            }
        }));
        Assert.Equal(producedAtCancel, produced); // not one more token after the cancel
    }

    [Fact]
    public void A_prompt_longer_than_the_context_window_is_refused_before_any_token()
    {
        var window = Model.Model.Config.MaxPositionEmbeddings;
        var prompt = Enumerable.Repeat(Model.Tokenizer.Encode("time", addSpecialTokens: false)[0], window + 1).ToList();
        var emitted = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = Assert.Throws<ContextWindowExceededException>(() =>
            Generator().Generate(new GenerationRequest(prompt, 10, SamplingOptions.Greedy), TestContext.Current.CancellationToken, _ => emitted++));

        Assert.Equal(window + 1, error.Requested);
        Assert.Equal(window, error.ContextWindow);
        Assert.Equal(0, emitted);
        // And the model still works afterwards.
        Assert.Equal(3, Generator().Generate(Request(3), TestContext.Current.CancellationToken).Tokens.Count);
    }

    [Fact]
    public void Bad_requests_are_refused_with_typed_errors()
    {
        Assert.Throws<ArgumentException>(() => Generator().Generate(new GenerationRequest([], 5, SamplingOptions.Greedy), TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentOutOfRangeException>(() => Generator().Generate(Request(-1), TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentException>(() => Generator().Generate(new GenerationRequest([1, 100_000], 5, SamplingOptions.Greedy), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Streaming_yields_the_same_tokens_and_text_as_generate()
    {
        var request = Request(60, new SamplingOptions { Temperature = 0.9f, Seed = 12 }) with { StopStrings = ["park"] };
        var whole = Generator().Generate(request, TestContext.Current.CancellationToken);

        var streamed = new List<GeneratedToken>();
        await foreach (var token in Generator().StreamAsync(request, TestContext.Current.CancellationToken)) streamed.Add(token);

        Assert.Equal(whole.Tokens, streamed);
        Assert.Equal(whole.Text, string.Concat(streamed.Select(token => token.Text)));
    }

    [Fact]
    public async Task Streaming_never_splits_a_utf8_character()
    {
        // stories260K writes Japanese only through byte-fallback tokens (<0xE3> <0x82> <0x80> …), one byte per token.
        // The scripted tokenizer hands out those real byte tokens' bytes in order, whatever ids the model picks,
        // so each character arrives over three steps.
        const string japanese = "むかしむかし、あるところに🍑がありました。";
        var byteTokens = Model.Tokenizer.Encode(japanese, addSpecialTokens: false)
            .Where(id => Model.Tokenizer.TokenText(id).StartsWith("<0x", StringComparison.Ordinal)).ToArray();
        Assert.Equal(Encoding.UTF8.GetByteCount(japanese), byteTokens.Length);

        var chunks = new List<string>();
        var scripted = new ScriptedBytesTokenizer(Model.Tokenizer, byteTokens);
        await foreach (var token in Generator(scripted).StreamAsync(Request(byteTokens.Length), TestContext.Current.CancellationToken))
            chunks.Add(token.Text);

        Assert.Equal(japanese, string.Concat(chunks));
        Assert.All(chunks, chunk =>
        {
            Assert.DoesNotContain('\uFFFD', chunk);
            if (chunk.Length > 0)
            {
                Assert.False(char.IsLowSurrogate(chunk[0]), "a chunk starts with half a surrogate pair");
                Assert.False(char.IsHighSurrogate(chunk[^1]), "a chunk ends with half a surrogate pair");
            }
        });
        Assert.Equal(japanese.EnumerateRunes().Count(), chunks.Count(chunk => chunk.Length > 0));
    }

    [Fact]
    public async Task Breaking_out_of_a_stream_and_cancelling_stops_the_producer()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Generator().StreamAsync(Request(2000, new SamplingOptions { Temperature = 1f }), cancellation.Token))
            {
                if (++count == 3) await cancellation.CancelAsync();
            }
        });
        Assert.InRange(count, 3, 4);
    }

    /// <summary>The real tokenizer, with extra end-of-generation ids.</summary>
    private sealed class EndTokensTokenizer(ITokenizer inner, params int[] endIds) : ITokenizer
    {
        public int VocabularySize => inner.VocabularySize;
        public int? BosId => inner.BosId;
        public int? EosId => inner.EosId;
        public IReadOnlySet<int> EndOfGenerationIds { get; } = inner.EndOfGenerationIds.Concat(endIds).ToHashSet();
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = false) => inner.Encode(text, addSpecialTokens, parseSpecialTokens);
        public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) => inner.Decode(ids, skipSpecialTokens);
        public byte[] TokenBytes(int id, bool isFirstToken = false) => inner.TokenBytes(id, isFirstToken);
        public string TokenText(int id) => inner.TokenText(id);
        public bool IsSpecial(int id) => inner.IsSpecial(id);
    }

    /// <summary>Whatever id is generated, releases the bytes of the next scripted token: a stream of crafted byte tokens.</summary>
    private sealed class ScriptedBytesTokenizer(ITokenizer inner, int[] script) : ITokenizer
    {
        private int next;
        public int VocabularySize => inner.VocabularySize;
        public int? BosId => inner.BosId;
        public int? EosId => inner.EosId;
        public IReadOnlySet<int> EndOfGenerationIds { get; } = new HashSet<int>();
        public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = false) => inner.Encode(text, addSpecialTokens, parseSpecialTokens);
        public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) => inner.Decode(ids, skipSpecialTokens);
        public byte[] TokenBytes(int id, bool isFirstToken = false) => inner.TokenBytes(script[next++], isFirstToken);
        public string TokenText(int id) => inner.TokenText(id);
        public bool IsSpecial(int id) => inner.IsSpecial(id);
    }
}
