using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class KanaReadingsTests
{
    [Theory]
    [InlineData("かぶってどうやってかうの", "株ってどうやってかうの")]
    [InlineData("カブの買い方", "株の買い方")]
    [InlineData("ゆうきゅうはなんにち？", "有給はなんにち？")]
    [InlineData("けんこうしんだんのけっか", "健康診断のけっか")]
    [InlineData("ぱすわーどをわすれた", "パスワードをわすれた")]
    [InlineData("やけどした", "ヤケドした")]
    public void A_domain_word_typed_in_kana_reads_as_the_catalogs_spelling(string typed, string read)
    {
        Assert.Equal(read, KanaReadings.Rewrite(typed));
    }

    [Fact]
    public void Text_without_a_known_reading_comes_back_as_the_same_string()
    {
        const string text = "how do i center a div ですか";

        Assert.Same(text, KanaReadings.Rewrite(text));
    }

    [Fact]
    public void A_loanword_is_read_from_hiragana_only_when_its_spelling_cannot_be_an_ordinary_word()
    {
        // ころな (コロナ) sits inside ところなら; ろーん cannot be anything but ローン.
        const string text = "いまのところなにもない";

        Assert.Same(text, KanaReadings.Rewrite(text));
    }

    [Fact]
    public void The_table_is_embedded_and_holds_hiragana_readings_only()
    {
        Assert.True(KanaReadings.Count > 100, $"{KanaReadings.Count} readings");
        Assert.Equal("株価", KanaReadings.Rewrite("かぶか"));
    }
}
