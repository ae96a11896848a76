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
    [InlineData("えんやすはいつまで", "円安はいつまで")]
    [InlineData("とうにょうびょうのよぼう", "糖尿病の予防")]
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

    [Theory]
    [InlineData("いでこってとちゅうでやめられるの？", "idecoってとちゅうでやめられるの？")]
    [InlineData("イデコとニーサどっち", "idecoとnisaどっち")]
    [InlineData("わたしのいでこ", "わたしのいでこ")] // の follows kana: not read, it could be しないでこ…
    [InlineData("楽天のイデコ", "楽天のideco")]
    [InlineData("会社でいでこ", "会社でideco")]
    [InlineData("リートってなに", "reitってなに")]
    public void A_latin_letter_term_typed_in_kana_reads_as_its_latin_spelling_where_a_word_starts(string typed, string read)
    {
        Assert.Equal(read, KanaReadings.Rewrite(typed));
    }

    [Theory]
    [InlineData("しないでこれをやって")]
    [InlineData("急いでこっちに来て")]
    [InlineData("エリートってなに")]
    [InlineData("稼いでこれを貯金したい")]
    [InlineData("おにーさんに聞いた")]
    public void A_latin_letter_reading_inside_another_kana_word_is_left_alone(string text)
    {
        Assert.DoesNotContain("ideco", KanaReadings.Rewrite(text));
        Assert.DoesNotContain("reit", KanaReadings.Rewrite(text));
        Assert.DoesNotContain("nisa", KanaReadings.Rewrite(text));
    }

    [Fact]
    public void A_question_ending_in_deshouka_is_not_read_as_digestion()
    {
        // しょうか (消化) sat inside でしょうか until round 11 and gave medical evidence to any polite question.
        Assert.DoesNotContain("消化", KanaReadings.Rewrite("どうやって返すのが一番よいでしょうか"));
    }

    [Fact]
    public void The_table_is_embedded_and_holds_hiragana_readings_only()
    {
        Assert.True(KanaReadings.Count > 100, $"{KanaReadings.Count} readings");
        Assert.Equal("株価", KanaReadings.Rewrite("かぶか"));
    }
}
