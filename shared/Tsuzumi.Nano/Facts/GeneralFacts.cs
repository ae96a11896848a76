using static Tsuzumi.Nano.Facts.FactBuilder;

namespace Tsuzumi.Nano.Facts;

/// <summary>A country and its capital in both languages.</summary>
public sealed record Capital(string CountryJa, string CountryEn, string CityJa, string CityEn);

/// <summary>Everyday knowledge for the base model: science, nature, Japan, and a table of capitals.</summary>
public static class GeneralFacts
{
    private static Fact F(string id, FactRendering japanese, FactRendering english) => new($"general.{id}", NanoDomain.General, japanese, english);

    public static IReadOnlyList<Capital> Capitals { get; } =
    [
        new("日本", "Japan", "東京", "Tokyo"),
        new("フランス", "France", "パリ", "Paris"),
        new("イギリス", "the United Kingdom", "ロンドン", "London"),
        new("アメリカ", "the United States", "ワシントンD.C.", "Washington, D.C."),
        new("中国", "China", "北京", "Beijing"),
        new("韓国", "South Korea", "ソウル", "Seoul"),
        new("ドイツ", "Germany", "ベルリン", "Berlin"),
        new("イタリア", "Italy", "ローマ", "Rome"),
        new("スペイン", "Spain", "マドリード", "Madrid"),
        new("カナダ", "Canada", "オタワ", "Ottawa"),
        new("オーストラリア", "Australia", "キャンベラ", "Canberra"),
        new("ブラジル", "Brazil", "ブラジリア", "Brasília"),
        new("インド", "India", "ニューデリー", "New Delhi"),
        new("エジプト", "Egypt", "カイロ", "Cairo"),
        new("ロシア", "Russia", "モスクワ", "Moscow"),
        new("タイ", "Thailand", "バンコク", "Bangkok"),
        new("メキシコ", "Mexico", "メキシコシティ", "Mexico City"),
        new("ケニア", "Kenya", "ナイロビ", "Nairobi"),
    ];

    private static readonly Fact[] HandWritten =
    [
        F("highest-mountain",
            L("日本で一番高い山は何ですか？", "日本の最高峰はどの山ですか？", "日本で一番高い山は{v}です。", "富士山", "北岳", "槍ヶ岳", "阿蘇山"),
            L("What is the highest mountain in Japan?", "Which mountain is Japan's highest peak?", "The highest mountain in Japan is {v}.", "Mount Fuji", "Mount Kita", "Mount Yari", "Mount Aso")),
        F("fuji-height",
            L("富士山の高さは何メートルですか？", "富士山の標高はどれくらいですか？", "富士山の高さは{v}です。", "3776メートル", "2776メートル", "4776メートル", "3000メートル"),
            L("How high is Mount Fuji?", "What is the elevation of Mount Fuji?", "Mount Fuji is {v} high.", "3,776 metres", "2,776 metres", "4,776 metres", "3,000 metres")),
        F("cherry-blossoms",
            L("桜が咲く季節はいつですか？", "日本でお花見をする季節はどれですか？", "日本では、桜は{v}に咲きます。", "春", "夏", "秋", "冬"),
            L("In which season do cherry blossoms bloom?", "During which season do people in Japan hold hanami?", "In Japan, cherry blossoms bloom in {v}.", "spring", "summer", "autumn", "winter")),
        F("autumn-leaves",
            L("紅葉が見られる季節はいつですか？", "木の葉が赤や黄色に変わるのはどの季節ですか？", "紅葉が見られる季節は{v}です。", "秋", "春", "夏", "冬"),
            L("In which season do the leaves turn red?", "When do tree leaves change to red and yellow?", "Leaves turn red and yellow in {v}.", "autumn", "spring", "summer", "winter")),
        F("boiling-point",
            L("水は何度で沸騰しますか？", "海面の高さで水が沸く温度は？", "水は1気圧のもとで{v}で沸騰します。", "100度", "50度", "80度", "150度"),
            L("At what temperature does water boil?", "What is the boiling point of water at sea level?", "Water boils at {v} at sea level.", "100 °C", "50 °C", "80 °C", "150 °C")),
        F("freezing-point",
            L("水は何度で凍りますか？", "水が氷になる温度は何度ですか？", "水は{v}で凍ります。", "0度", "10度", "マイナス20度", "4度"),
            L("At what temperature does water freeze?", "At what temperature does water turn into ice?", "Water freezes at {v}.", "0 °C", "10 °C", "-20 °C", "4 °C")),
        F("days-in-week",
            L("1週間は何日ですか？", "1週間には何日ありますか？", "1週間は{v}です。", "7日", "5日", "6日", "10日"),
            L("How many days are there in a week?", "How many days make up one week?", "A week has {v}.", "seven days", "five days", "six days", "ten days")),
        F("months-in-year",
            L("1年は何か月ですか？", "1年には何か月ありますか？", "1年は{v}です。", "12か月", "10か月", "11か月", "13か月"),
            L("How many months are there in a year?", "How many months make up one year?", "A year has {v}.", "twelve months", "ten months", "eleven months", "thirteen months")),
        F("earth-orbit",
            L("地球が太陽の周りを一周するのに何日かかりますか？", "地球の公転周期はどれくらいですか？", "地球は{v}かけて太陽の周りを一周します。", "約365日", "約30日", "約100日", "約1000日"),
            L("How long does the Earth take to go around the Sun?", "What is the length of the Earth's orbit around the Sun?", "The Earth goes around the Sun in {v}.", "about 365 days", "about 30 days", "about 100 days", "about 1,000 days")),
        F("largest-planet",
            L("太陽系で一番大きい惑星は何ですか？", "太陽系最大の惑星はどれですか？", "太陽系で一番大きい惑星は{v}です。", "木星", "土星", "地球", "火星"),
            L("What is the largest planet in the solar system?", "Which planet is the biggest in our solar system?", "The largest planet in the solar system is {v}.", "Jupiter", "Saturn", "Earth", "Mars")),
        F("blue-and-yellow",
            L("青と黄色を混ぜると何色になりますか？", "黄色の絵の具に青を混ぜると何色ができますか？", "青と黄色を混ぜると{v}になります。", "緑", "紫", "オレンジ", "茶色"),
            L("What colour do you get by mixing blue and yellow?", "Which colour appears when yellow paint is mixed with blue?", "Mixing blue and yellow makes {v}.", "green", "purple", "orange", "brown")),
        F("red-and-white",
            L("赤と白を混ぜると何色になりますか？", "白の絵の具に赤を混ぜると何色ができますか？", "赤と白を混ぜると{v}になります。", "ピンク", "緑", "黒", "青"),
            L("What colour do you get by mixing red and white?", "Which colour appears when white paint is mixed with red?", "Mixing red and white makes {v}.", "pink", "green", "black", "blue")),
        F("rainbow-colours",
            L("虹は何色だと言われますか？", "日本では虹の色はいくつと数えられますか？", "日本では、虹は{v}だと言われます。", "7色", "3色", "5色", "12色"),
            L("How many colours does a rainbow have?", "How many colours are usually counted in a rainbow?", "A rainbow is usually said to have {v}.", "seven colours", "three colours", "five colours", "twelve colours")),
        F("photosynthesis",
            L("光合成で植物は何を作り出しますか？", "植物が日光を使って放出する気体は何ですか？", "植物は光合成によって、でんぷんと{v}を作り出します。", "酸素", "二酸化炭素", "窒素", "水素"),
            L("What do plants produce by photosynthesis?", "Which gas do plants give off when they use sunlight?", "By photosynthesis, plants make sugar and {v}.", "oxygen", "carbon dioxide", "nitrogen", "hydrogen")),
        F("breathing-out",
            L("人が息をはくとき、主に何を出していますか？", "呼吸で体の外に出される気体は何ですか？", "人は酸素を吸って、{v}をはき出します。", "二酸化炭素", "酸素", "水素", "ヘリウム"),
            L("What do people breathe out?", "Which gas leaves the body when we exhale?", "People breathe in oxygen and breathe out {v}.", "carbon dioxide", "oxygen", "hydrogen", "helium")),
        F("largest-island",
            L("日本で一番大きい島はどこですか？", "日本最大の島はどれですか？", "日本で一番大きい島は{v}です。", "本州", "北海道", "九州", "四国"),
            L("What is the largest island of Japan?", "Which island is Japan's biggest?", "The largest island of Japan is {v}.", "Honshu", "Hokkaido", "Kyushu", "Shikoku")),
        F("longest-river",
            L("日本で一番長い川は何ですか？", "日本最長の川はどれですか？", "日本で一番長い川は{v}です。", "信濃川", "利根川", "石狩川", "淀川"),
            L("What is the longest river in Japan?", "Which river is Japan's longest?", "The longest river in Japan is {v}.", "the Shinano River", "the Tone River", "the Ishikari River", "the Yodo River")),
        F("new-year-food",
            L("お正月に食べる伝統的な料理は何ですか？", "日本の新年のお祝いの料理を何と呼びますか？", "お正月には、{v}を食べる伝統があります。", "おせち料理", "ちらし寿司", "ひなあられ", "月見団子"),
            L("What traditional food is eaten at New Year in Japan?", "What is the Japanese New Year celebration food called?", "At New Year, people in Japan traditionally eat {v}.", "osechi ryori", "chirashi sushi", "hina arare", "tsukimi dango")),
        F("childrens-day",
            L("こどもの日は何月何日ですか？", "こどもの日はいつですか？", "こどもの日は{v}です。", "5月5日", "3月3日", "7月7日", "11月15日"),
            L("What is the date of Children's Day in Japan?", "When is Children's Day celebrated in Japan?", "Children's Day in Japan is on {v}.", "May 5", "March 3", "July 7", "November 15")),
        F("tanabata",
            L("七夕は何月何日ですか？", "七夕のお祭りはいつですか？", "七夕は{v}です。", "7月7日", "5月5日", "3月3日", "8月15日"),
            L("What is the date of Tanabata?", "When is the Tanabata festival held?", "Tanabata is on {v}.", "July 7", "May 5", "March 3", "August 15")),
        F("setsubun",
            L("節分には何をまきますか？", "節分の日に鬼を追い払うために投げるものは？", "節分には、鬼を追い払うために{v}をまきます。", "豆", "米", "塩", "花"),
            L("What is thrown at Setsubun?", "What do people throw to drive out demons at Setsubun?", "At Setsubun, people throw {v} to drive out demons.", "beans", "rice", "salt", "flowers")),
        F("kimono",
            L("日本の伝統的な衣服は何ですか？", "日本の民族衣装を何と呼びますか？", "日本の伝統的な衣服は{v}です。", "着物", "チャイナドレス", "サリー", "キルト"),
            L("What is the traditional clothing of Japan?", "What is Japan's national costume called?", "The traditional clothing of Japan is {v}.", "the kimono", "the qipao", "the sari", "the kilt")),
        F("writing-systems",
            L("日本語で使われる文字は何ですか？", "日本語の表記に使う3種類の文字は何ですか？", "日本語は、{v}を組み合わせて書きます。", "ひらがな・カタカナ・漢字", "アルファベットだけ", "ハングル・漢字", "キリル文字"),
            L("What scripts are used to write Japanese?", "Which three kinds of characters are used in written Japanese?", "Japanese is written with a mix of {v}.", "hiragana, katakana and kanji", "the Latin alphabet only", "hangul and kanji", "the Cyrillic alphabet")),
        F("currency",
            L("日本の通貨は何ですか？", "日本で使われているお金の単位は何ですか？", "日本の通貨は{v}です。", "円", "ウォン", "元", "ドル"),
            L("What is the currency of Japan?", "What money is used in Japan?", "The currency of Japan is {v}.", "the yen", "the won", "the yuan", "the dollar")),
        F("prefectures",
            L("日本にはいくつの都道府県がありますか？", "日本の都道府県の数はいくつですか？", "日本には{v}の都道府県があります。", "47", "43", "50", "36"),
            L("How many prefectures does Japan have?", "What is the number of prefectures in Japan?", "Japan has {v} prefectures.", "47", "43", "50", "36")),
        F("water-formula",
            L("H2Oは何の化学式ですか？", "化学式H2Oで表される物質は何ですか？", "H2Oは{v}の化学式です。", "水", "塩", "二酸化炭素", "酸素"),
            L("What is H2O the formula for?", "Which substance has the chemical formula H2O?", "H2O is the chemical formula for {v}.", "water", "salt", "carbon dioxide", "oxygen")),
        F("sun",
            L("地球はどの星の周りを回っていますか？", "地球が公転している恒星は何ですか？", "地球は{v}の周りを回っています。", "太陽", "月", "北極星", "火星"),
            L("Which star does the Earth go around?", "Around which star does the Earth orbit?", "The Earth goes around {v}.", "the Sun", "the Moon", "the North Star", "Mars")),
    ];

    /// <summary>Capital facts, each using three other capitals of the table as distractors.</summary>
    private static IEnumerable<Fact> CapitalFacts() => Capitals.Select((capital, index) =>
    {
        var others = Enumerable.Range(1, 3).Select(offset => Capitals[(index + offset * 5) % Capitals.Count]).ToArray();
        var id = capital.CountryEn.Replace("the ", "", StringComparison.Ordinal).Replace(' ', '-').ToLowerInvariant();
        return F($"capital-{id}",
            L($"{capital.CountryJa}の首都はどこですか？", $"{capital.CountryJa}の首都となっている都市を教えてください。", $"{capital.CountryJa}の首都は{{v}}です。",
                capital.CityJa, [.. others.Select(other => other.CityJa)]),
            L($"What is the capital of {capital.CountryEn}?", $"Which city is the capital of {capital.CountryEn}?", $"The capital of {capital.CountryEn} is {{v}}.",
                capital.CityEn, [.. others.Select(other => other.CityEn)]));
    });

    public static IReadOnlyList<Fact> All { get; } = [.. HandWritten, .. CapitalFacts()];
}
