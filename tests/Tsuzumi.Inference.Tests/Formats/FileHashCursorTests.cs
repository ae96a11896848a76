using System.IO.Hashing;
using Tsuzumi.Inference.Formats;

namespace Tsuzumi.Inference.Tests.Formats;

/// <summary>A hash fed in the order a loader reads, with gaps and overlaps, equals the whole file's hash.</summary>
public sealed class FileHashCursorTests
{
    private static readonly byte[] Bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7 + i / 13)).ToArray();

    [Theory]
    [InlineData(new[] { 100, 200, 300, 400 })]       // ranges that tile a middle stretch: header and tail come from the file
    [InlineData(new[] { 0, 1000 })]                   // one range, the whole file
    [InlineData(new[] { 50, 80, 200, 260, 900, 950 })] // gaps between ranges
    [InlineData(new[] { 100, 300, 150, 250, 200, 400 })] // a range inside an earlier one, then one that overlaps its end
    [InlineData(new[] { 500, 600, 100, 200 })]        // a range behind the position: already hashed, fed again
    public void Ranges_fed_in_any_layout_hash_to_the_whole_file(int[] ranges)
    {
        var hash = new XxHash128();
        var fromFile = new List<(long Offset, long Length)>();
        var cursor = new FileHashCursor(hash, Bytes.Length, (target, offset, length) =>
        {
            fromFile.Add((offset, length));
            target.Append(Bytes.AsSpan((int)offset, (int)length));
        });

        for (var i = 0; i < ranges.Length; i += 2) cursor.Append(ranges[i], Bytes.AsSpan(ranges[i], ranges[i + 1] - ranges[i]));
        cursor.CoverToEnd();

        Assert.Equal(XxHash128.Hash(Bytes), hash.GetCurrentHash());
        Assert.Equal(Bytes.Length, cursor.Position);
        // Bytes fed by the caller are not read from the file again.
        Assert.True(fromFile.Sum(range => range.Length) <= Bytes.Length - (ranges[1] - ranges[0]));
    }

    [Fact]
    public void A_range_past_the_end_of_the_file_is_refused()
    {
        var cursor = new FileHashCursor(new XxHash128(), 10, (_, _, _) => { });

        Assert.Throws<ArgumentOutOfRangeException>(() => cursor.Append(8, new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cursor.CoverTo(11));
    }
}
