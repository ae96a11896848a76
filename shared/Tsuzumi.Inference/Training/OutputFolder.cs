namespace Tsuzumi.Inference.Training;

/// <summary>Checks, before any training starts, that a run's output can be written at all.</summary>
internal static class OutputFolder
{
    /// <summary>Creates <paramref name="output"/>'s parent and proves a file can be written there.</summary>
    /// <param name="what">What is written, for the message ("the output", "the model").</param>
    public static void EnsureParentWritable(string output, string what)
    {
        var parent = Path.GetDirectoryName(output) ?? throw new IOException($"{output} has no parent folder");
        try
        {
            Directory.CreateDirectory(parent);
            var probe = Path.Combine(parent, $".write-probe-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {what} beside {output}: {error.Message}", error);
        }
    }
}
