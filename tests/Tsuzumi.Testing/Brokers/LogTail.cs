namespace Tsuzumi.Testing.Brokers;

/// <summary>Reads the end of a server log for error messages.</summary>
public static class LogTail
{
    /// <summary>The last <paramref name="lines"/> lines of <paramref name="path"/>, or a note that it is missing.</summary>
    public static string Read(string path, int lines = 40)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines)).TrimEnd();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(no log at {path}: {exception.Message})";
        }
    }
}
