using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class KanaTests
{
    [Fact]
    public void Katakana_folds_to_hiragana_and_nothing_else_changes()
    {
        Assert.Equal('あ', Kana.ToHiragana('ア'));
        Assert.Equal('ゖ', Kana.ToHiragana('ヶ'));
        Assert.Equal('ー', Kana.ToHiragana('ー'));
        Assert.Equal('ヺ', Kana.ToHiragana('ヺ'));
        Assert.Equal('株', Kana.ToHiragana('株'));
        Assert.Equal('a', Kana.ToHiragana('a'));
    }

    [Theory]
    [InlineData('あ', true, false)]
    [InlineData('ゞ', true, false)]
    [InlineData('ア', false, true)]
    [InlineData('ヺ', false, true)]
    [InlineData('ー', false, true)]
    [InlineData('株', false, false)]
    [InlineData('a', false, false)]
    public void Every_part_of_the_router_tells_hiragana_from_katakana_the_same_way(char c, bool hiragana, bool katakana)
    {
        Assert.Equal(hiragana, Kana.IsHiragana(c));
        Assert.Equal(katakana, Kana.IsKatakana(c));
        Assert.Equal(hiragana || katakana, Kana.IsKana(c));
    }
}
