using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// The vectors of catalog texts (descriptions, examples, labelled queries) kept in one file between runs, so that a
/// start embeds only the texts it has never seen: MiniLM takes about 6 s on one core per 1,500 labelled queries.
/// Keyed by the first 128 bits of each text's SHA-256 and valid for one embedder (<see cref="ISentenceEmbedder.Name"/>). A file written for
/// another embedder, or a torn or foreign file, is ignored and rewritten. Queries are never cached. The file only grows
/// with new texts; delete it to trim it. Written here: no maintained .NET library keeps a small vector file.
/// </summary>
public sealed class RoutingEmbeddingCache(string path)
{
    private const string Format = "tsuzumi-routing-embeddings/1";

    private readonly Lock gate = new();
    private Dictionary<UInt128, float[]>? vectors;
    private string? loadedFor;

    /// <summary>Under <c>$XDG_CACHE_HOME</c> (or <c>~/.cache</c>): where the command-line tools keep the cache.</summary>
    public static string DefaultPath
    {
        get
        {
            var cacheHome = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrWhiteSpace(cacheHome))
                cacheHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cacheHome, "tsuzumi", "routing-embeddings.bin");
        }
    }

    public string FilePath { get; } = Path.GetFullPath(path);

    /// <summary>Why the file on disk was not used at the last load (null when it was, or there was none).</summary>
    public string? IgnoredBecause { get; private set; }

    /// <summary>Copies into <paramref name="known"/> the cached vector of each of <paramref name="texts"/> it holds.</summary>
    public void Fill(ISentenceEmbedder embedder, IEnumerable<string> texts, IDictionary<string, float[]> known)
    {
        lock (gate)
        {
            var cached = Load(embedder.Name);
            foreach (var text in texts)
            {
                if (!known.ContainsKey(text) && cached.TryGetValue(Key(text), out var vector)) known[text] = vector;
            }
        }
    }

    /// <summary>Adds freshly embedded texts and rewrites the file (atomically: a reader never sees half of it).</summary>
    public void Add(ISentenceEmbedder embedder, IReadOnlyCollection<KeyValuePair<string, float[]>> embedded)
    {
        if (embedded.Count == 0) return;
        lock (gate)
        {
            var cached = Load(embedder.Name);
            foreach (var (text, vector) in embedded) cached[Key(text)] = vector;
            Save(embedder.Name, cached);
        }
    }

    private Dictionary<UInt128, float[]> Load(string embedder)
    {
        if (vectors is not null && loadedFor == embedder) return vectors;
        loadedFor = embedder;
        IgnoredBecause = null;
        vectors = [];
        if (!File.Exists(FilePath)) return vectors;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(FilePath), Encoding.UTF8);
            if (reader.ReadString() != Format) throw new InvalidDataException("not a routing embedding cache");
            if (reader.ReadString() != embedder) throw new InvalidDataException("written for another embedder");
            var dimensions = reader.ReadInt32();
            var count = reader.ReadInt32();
            if (dimensions is < 1 or > 65536 || count < 0) throw new InvalidDataException("bad header");
            var loaded = new Dictionary<UInt128, float[]>(count);
            var key = new byte[16];
            for (var i = 0; i < count; i++)
            {
                reader.BaseStream.ReadExactly(key);
                var vector = new float[dimensions];
                reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(vector.AsSpan()));
                loaded[BinaryPrimitives.ReadUInt128LittleEndian(key)] = vector;
            }
            vectors = loaded;
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            IgnoredBecause = error.Message;
        }
        return vectors;
    }

    private void Save(string embedder, Dictionary<UInt128, float[]> cached)
    {
        var dimensions = cached.Values.First().Length; // one embedder per file: every vector has its width
        var folder = Path.GetDirectoryName(FilePath)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(FilePath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var writer = new BinaryWriter(File.Create(temporary), Encoding.UTF8))
            {
                writer.Write(Format);
                writer.Write(embedder);
                writer.Write(dimensions);
                writer.Write(cached.Count);
                Span<byte> key = stackalloc byte[16];
                foreach (var (hash, vector) in cached)
                {
                    BinaryPrimitives.WriteUInt128LittleEndian(key, hash);
                    writer.Write(key);
                    writer.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
                }
            }
            File.Move(temporary, FilePath, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written costs the next start its time, nothing else.
            IgnoredBecause = $"cannot be written: {error.Message}";
            try { File.Delete(temporary); }
            catch (IOException) { }
        }
    }

    private static UInt128 Key(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}
