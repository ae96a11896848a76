using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Corpus;

/// <summary>A short hand-written text; <c>{{fact-id}}</c> placeholders take the fact's value, so passages cannot contradict the tables.</summary>
public sealed record Passage(string Domain, Language Language, string Text);

/// <summary>Hand-written passages for the base corpus (general, finance, medical only).</summary>
public static class HandWrittenPassages
{
    public static IReadOnlyList<Passage> All { get; } =
    [
        new(NanoDomain.General, Language.Japanese, """
            日本の一年
            日本には四つの季節があります。{{general.cherry-blossoms}}には桜が咲き、多くの人がお花見を楽しみます。夏は暑く、七夕は{{general.tanabata}}です。{{general.autumn-leaves}}になると山の木々が赤や黄色に色づきます。冬には雪が降る地域も多く、お正月には{{general.new-year-food}}を食べます。
            """),
        new(NanoDomain.General, Language.English, """
            A year in Japan
            Japan has four seasons. Cherry blossoms bloom in {{general.cherry-blossoms}}, and many people enjoy hanami under the trees. Summer is hot, and Tanabata falls on {{general.tanabata}}. In {{general.autumn-leaves}} the mountains turn red and yellow. In winter it snows in many places, and at New Year families eat {{general.new-year-food}}.
            """),
        new(NanoDomain.General, Language.Japanese, """
            水のふしぎ
            水は私たちの身の回りで一番身近な物質です。化学式H2Oで表される{{general.water-formula}}は、{{general.freezing-point}}で凍って氷になり、{{general.boiling-point}}で沸騰して水蒸気になります。雨や雲、川や海も、すべて水が形を変えたものです。
            """),
        new(NanoDomain.General, Language.English, """
            The wonder of water
            Water is the most familiar substance around us. Pure {{general.water-formula}} freezes into ice at {{general.freezing-point}} and boils into steam at {{general.boiling-point}}. Rain, clouds, rivers and the sea are all water in different forms.
            """),
        new(NanoDomain.General, Language.Japanese, """
            日本の地理
            日本は島国で、{{general.prefectures}}の都道府県があります。一番大きい島は{{general.largest-island}}で、一番高い山は高さ{{general.fuji-height}}の{{general.highest-mountain}}です。日本で一番長い川は{{general.longest-river}}です。首都は{{general.capital-japan}}です。
            """),
        new(NanoDomain.General, Language.English, """
            The geography of Japan
            Japan is an island country with {{general.prefectures}} prefectures. Its largest island is {{general.largest-island}}, and its highest mountain is {{general.highest-mountain}}, which is {{general.fuji-height}} high. The longest river is {{general.longest-river}}, and the capital is {{general.capital-japan}}.
            """),
        new(NanoDomain.Finance, Language.Japanese, """
            お金を育てる考え方
            お金を長く運用するときに大切なのが複利の考え方です。複利では、元本だけでなく利息にも利息がつきます。72の法則を使えば、{{finance.rule-of-72}}を年利で割るだけで、お金が2倍になるまでのおおよその年数が分かります。また、一つの投資先に集中せず分散投資をすることで、{{finance.diversification}}ことができます。日本では、利益が{{finance.nisa}}になるNISAや、{{finance.ideco}}であるiDeCoといった制度も用意されています。
            """),
        new(NanoDomain.Finance, Language.English, """
            How money grows
            Compound interest is the key idea when money is invested for a long time: interest is earned on past interest as well as on the principal. With the rule of 72, dividing {{finance.rule-of-72}} by the interest rate gives the rough number of years for money to double. Spreading money across many investments helps to {{finance.diversification}}. In Japan, NISA makes investment gains {{finance.nisa}}, and iDeCo is an {{finance.ideco}}.
            """),
        new(NanoDomain.Finance, Language.Japanese, """
            物価と中央銀行
            物価が全体的に上がり続けることをインフレ、下がり続けることをデフレと呼びます。日本の中央銀行である{{finance.central-bank-japan}}は、紙幣を発行し、{{finance.central-bank-role}}によって物価の安定を目指しています。一般に金利が上がると債券価格は{{finance.rates-and-bond-prices}}。
            """),
        new(NanoDomain.Finance, Language.English, """
            Prices and the central bank
            When prices in general keep rising, we call it inflation; when they keep falling, we call it deflation. Japan's central bank, {{finance.central-bank-japan}}, issues banknotes and aims for stable prices through {{finance.central-bank-role}}. In general, when interest rates rise, bond prices {{finance.rates-and-bond-prices}}.
            """),
        new(NanoDomain.Medical, Language.Japanese, """
            体温と血圧を知ろう
            成人の平熱は{{medical.normal-temperature}}くらいで、日本では一般に{{medical.fever}}を発熱としています。血圧は{{medical.normal-blood-pressure}}が正常の目安で、診察室で{{medical.hypertension}}だと高血圧とされます。ここに書いたのは一般的な情報です。体調に不安があるときは医師に相談しましょう。
            """),
        new(NanoDomain.Medical, Language.English, """
            Knowing your temperature and blood pressure
            A normal adult body temperature is about {{medical.normal-temperature}}, and in Japan {{medical.fever}} is generally considered a fever. A normal blood pressure is {{medical.normal-blood-pressure}}, and a clinic reading of {{medical.hypertension}} is considered hypertension. This is general information; if you are worried about your health, talk to a doctor.
            """),
        new(NanoDomain.Medical, Language.Japanese, """
            いざというときの応急手当
            やけどをしたら、すぐに{{medical.burn-first-aid}}で冷やします。熱中症が疑われるときは{{medical.heatstroke-first-aid}}に移動させ、水分と塩分を補給します。人が倒れて呼吸がないときは{{medical.ambulance-number}}に電話し、1分間に{{medical.cpr-rate}}回のテンポで胸骨圧迫を行います。
            """),
        new(NanoDomain.Medical, Language.English, """
            First aid when it matters
            For a burn, cool it under {{medical.burn-first-aid}} straight away. When heatstroke is suspected, move the person to {{medical.heatstroke-first-aid}} and give water and salt. If someone collapses and is not breathing, call {{medical.ambulance-number}} in Japan and give chest compressions at {{medical.cpr-rate}} per minute.
            """),
    ];

    /// <summary>The passage with each <c>{{fact-id}}</c> replaced by that fact's value in the passage's language.</summary>
    /// <exception cref="KeyNotFoundException">A placeholder names no fact.</exception>
    public static string Render(Passage passage) =>
        System.Text.RegularExpressions.Regex.Replace(passage.Text, @"\{\{([a-z0-9.\-]+)\}\}",
            match => FactTables.Get(match.Groups[1].Value).In(passage.Language).Value);
}
