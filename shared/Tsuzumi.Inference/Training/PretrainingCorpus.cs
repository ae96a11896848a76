using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// Pretraining text as one token stream: every document is encoded as BOS … EOS and the documents follow each other
/// in file order, so the model sees where texts start and end. Text files hold documents separated by blank lines;
/// QA files (<c>{"prompt","completion"}</c> JSONL) add one "Q: …\nA: …" document per pair, so a base model also
/// learns the short question-answer shape it will be asked in.
/// </summary>
public sealed class PretrainingCorpus
{
    private readonly int[] tokens;

    private PretrainingCorpus(IReadOnlyList<string> sources, int[] tokens, int documentCount)
    {
        Sources = sources;
        this.tokens = tokens;
        DocumentCount = documentCount;
    }

    /// <summary>The files read, in order.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The whole stream: BOS doc₁ EOS BOS doc₂ EOS …</summary>
    public IReadOnlyList<int> Tokens => tokens;

    public int DocumentCount { get; }

    /// <summary>SHA-256 of the token stream: a checkpoint refuses to resume on other data.</summary>
    public string Fingerprint
    {
        get
        {
            var bytes = new byte[tokens.Length * sizeof(int)];
            Buffer.BlockCopy(tokens, 0, bytes, 0, bytes.Length);
            return Convert.ToHexStringLower(SHA256.HashData(bytes));
        }
    }

    /// <summary>
    /// The text files <paramref name="path"/> stands for: a folder its <c>*.txt</c> files in name order (so the stream,
    /// and weights trained on it, do not depend on the file system), anything else itself (<see cref="Load"/> reports a missing one).
    /// </summary>
    public static IEnumerable<string> TextFiles(string path) =>
        Directory.Exists(path) ? Directory.GetFiles(path, "*.txt").Order(StringComparer.Ordinal) : [path];

    /// <exception cref="TrainingDataException">A file is missing, unreadable, malformed or holds no text at all.</exception>
    /// <exception cref="ArgumentException">The tokenizer has no end-of-sequence token to separate documents.</exception>
    public static PretrainingCorpus Load(IReadOnlyList<string> textFiles, IReadOnlyList<string> qaFiles, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var eos = tokenizer.EosId ?? throw new ArgumentException("the tokenizer has no end-of-sequence token to separate documents", nameof(tokenizer));
        if (textFiles.Count + qaFiles.Count == 0) throw new ArgumentException("no corpus files were given", nameof(textFiles));

        var stream = new List<int>();
        var documents = 0;
        void Add(string text)
        {
            stream.AddRange(tokenizer.Encode(text, addSpecialTokens: true)); // BOS by the tokenizer's own rule
            stream.Add(eos);
            documents++;
        }

        foreach (var path in textFiles)
        {
            var before = documents;
            foreach (var document in TextDocuments(path)) Add(document);
            if (documents == before) throw new TrainingDataException(path, 0, "no text: the file is empty");
        }
        foreach (var path in qaFiles)
        {
            var before = documents;
            foreach (var (prompt, completion) in QaPairs(path)) Add($"Q: {prompt}\nA: {completion}");
            if (documents == before) throw new TrainingDataException(path, 0, "no question-answer pairs: the file is empty");
        }
        return new PretrainingCorpus([.. textFiles, .. qaFiles], stream.ToArray(), documents);
    }

    /// <summary>
    /// Cuts the stream into training windows of <paramref name="sequenceLength"/> + 1 tokens, each overlapping the next by
    /// one token: window k holds inputs stream[kT .. kT+T) and their targets stream[kT+1 .. kT+T]. So every token but the
    /// first is a target exactly once and nothing is lost; the last window is shorter when the stream does not divide.
    /// </summary>
    public IReadOnlyList<int[]> Pack(int sequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        var windows = new List<int[]>();
        for (var start = 0; start + 1 < tokens.Length; start += sequenceLength)
            windows.Add(tokens.AsSpan(start, Math.Min(sequenceLength + 1, tokens.Length - start)).ToArray());
        return windows;
    }

    /// <summary>Paragraphs: runs of non-blank lines, joined by newlines.</summary>
    private static IEnumerable<string> TextDocuments(string path)
    {
        var paragraph = new StringBuilder();
        foreach (var line in ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (paragraph.Length > 0) yield return paragraph.ToString();
                paragraph.Clear();
                continue;
            }
            if (paragraph.Length > 0) paragraph.Append('\n');
            paragraph.Append(line.TrimEnd());
        }
        if (paragraph.Length > 0) yield return paragraph.ToString();
    }

    private static IEnumerable<(string Prompt, string Completion)> QaPairs(string path)
    {
        var number = 0;
        foreach (var line in ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(line);
                root = document.RootElement.Clone();
            }
            catch (JsonException error)
            {
                throw new TrainingDataException(path, number, $"not valid JSON: {error.Message}");
            }
            if (root.ValueKind != JsonValueKind.Object) throw new TrainingDataException(path, number, "each line must be a JSON object");
            yield return (RequiredString(path, number, root, "prompt"), RequiredString(path, number, root, "completion"));
        }
    }

    private static string RequiredString(string path, int line, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            throw new TrainingDataException(path, line, $"\"{name}\" must be a non-empty string");
        return value.GetString()!;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        if (Directory.Exists(path)) throw new TrainingDataException(path, 0, "is a folder; give the text files in it");
        if (!File.Exists(path)) throw new TrainingDataException(path, 0, "file not found");
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new TrainingDataException(path, 0, $"cannot be read: {error.Message}");
        }
    }
}
