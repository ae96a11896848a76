namespace Tsuzumi.Inference.Evaluation;

/// <summary>A task file that cannot be read as its format says: names the file and, when known, the 1-based line.</summary>
public sealed class EvaluationDataException : Exception
{
    public EvaluationDataException(string path, int? line, string reason, Exception? inner = null)
        : base(line is { } at ? $"{path}:{at}: {reason}" : $"{path}: {reason}", inner)
    {
        Path = path;
        Line = line;
        Reason = reason;
    }

    public string Path { get; }

    /// <summary>1-based line number, or null when the problem concerns the whole file.</summary>
    public int? Line { get; }

    public string Reason { get; }
}
