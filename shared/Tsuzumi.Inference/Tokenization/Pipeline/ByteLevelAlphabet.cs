using System.Text;

namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>
/// GPT-2's reversible byte → printable character map: printable Latin-1 bytes map to themselves, the other bytes to
/// U+0100 onwards in order (so the space 0x20 becomes Ġ U+0120 and the newline 0x0A becomes Ċ U+010A).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] CharByByte = BuildCharByByte();
    private static readonly Dictionary<char, byte> ByteByChar = Enumerable.Range(0, 256).ToDictionary(b => CharByByte[b], b => (byte)b);

    private static char[] BuildCharByByte()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = CharByByte[bytes[i]];
        return new string(chars);
    }

    public static char CharFor(byte value) => CharByByte[value];

    /// <summary>The bytes a byte-level token stands for, or null when it holds a character outside the alphabet.</summary>
    public static byte[]? TryDecode(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!ByteByChar.TryGetValue(token[i], out bytes[i])) return null;
        }
        return bytes;
    }
}
