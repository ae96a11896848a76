using System.Text;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Tests.Evaluation;

/// <summary>
/// A greedy longest-match tokenizer over a tiny fixed vocabulary that fits the synthetic model (97 ids): single
/// characters plus a few merged pieces ("ab", " b", "cd"), so tests can place merges across the context/continuation
/// boundary on purpose. 0 = unknown, 1 = BOS, 2 = EOS.
/// </summary>
public sealed class ToyTokenizer : ITokenizer
{
    private static readonly string[] Pieces = BuildPieces();
    private static readonly Dictionary<string, int> Ids = Pieces.Select((piece, id) => (piece, id)).Where(pair => pair.id > 2).ToDictionary(pair => pair.piece, pair => pair.id);
    private static readonly int LongestPiece = Pieces.Max(piece => piece.Length);

    public int VocabularySize => 97;

    public int? BosId => 1;

    public int? EosId => 2;

    public IReadOnlySet<int> EndOfGenerationIds { get; } = new HashSet<int> { 2 };

    public static int Id(string piece) => Ids[piece];

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true, bool parseSpecialTokens = false)
    {
        var ids = new List<int>();
        if (addSpecialTokens) ids.Add(1);
        var at = 0;
        while (at < text.Length)
        {
            var matched = false;
            for (var length = Math.Min(LongestPiece, text.Length - at); length > 0; length--)
            {
                if (Ids.TryGetValue(text.Substring(at, length), out var id))
                {
                    ids.Add(id);
                    at += length;
                    matched = true;
                    break;
                }
            }
            if (!matched)
            {
                ids.Add(0);
                at++;
            }
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) =>
        string.Concat(ids.Where(id => !(skipSpecialTokens && IsSpecial(id))).Select(TokenText));

    public byte[] TokenBytes(int id, bool isFirstToken = false) => IsSpecial(id) ? [] : Encoding.UTF8.GetBytes(TokenText(id));

    public string TokenText(int id) => id < Pieces.Length ? Pieces[id] : $"<extra{id}>";

    public bool IsSpecial(int id) => id is 0 or 1 or 2;

    private static string[] BuildPieces()
    {
        var pieces = new List<string> { "<unk>", "<s>", "</s>" };
        pieces.AddRange(Enumerable.Range('a', 26).Select(code => ((char)code).ToString()));
        pieces.AddRange([" ", ":", "\n", "ab", " b", "cd", "?"]);
        return pieces.ToArray();
    }
}
