namespace Tsuzumi.Router.Routing;

/// <summary>Maps sentences to unit-length vectors whose dot product is their cosine similarity.</summary>
public interface ISentenceEmbedder
{
    /// <summary>Short name for reports (model and tokenisation).</summary>
    string Name { get; }

    float[][] Embed(IReadOnlyList<string> sentences);
}
