namespace Tsuzumi.Nano.Facts;

/// <summary>
/// More ways to ask one language's question of a fact, for adapter training only: a short <see cref="Topic"/> (a noun
/// phrase that <see cref="TrainingParaphrases"/> combines with generic question frames) and hand-written
/// <see cref="Questions"/> in other words and word orders. None may equal or nearly equal the fact's held-out paraphrase
/// (<see cref="Datasets.NanoDatasets.Validate"/> checks), so the held-out set still measures transfer to unseen wording.
/// </summary>
public sealed record ParaphraseSet(string Topic, IReadOnlyList<string> Questions);

/// <summary>One fact's extra training questions in both languages.</summary>
public sealed record FactParaphrases(string FactId, ParaphraseSet Japanese, ParaphraseSet English)
{
    public ParaphraseSet In(Language language) => language == Language.Japanese ? Japanese : English;
}

/// <summary>
/// Extra training questions for the adapter domains (finance, medical, org-acme). They exist because a 5.5 M-parameter
/// model trained on one question form per fact learns that form, not the fact: several forms per fact teach the adapter
/// to key on what is asked rather than how. general has none: its training pairs were part of the base model's
/// pretraining data and must not change.
/// </summary>
public static class TrainingParaphrases
{
    /// <summary>Generic frames; <c>{t}</c> is the fact's topic. The builder picks a few per fact with a seeded stream.</summary>
    public static IReadOnlyList<string> JapaneseFrames { get; } =
        ["{t}について教えてください。", "{t}を説明してください。", "{t}について知りたいです。", "{t}は？", "{t}について質問です。", "{t}を教えて。"];

    public static IReadOnlyList<string> EnglishFrames { get; } =
        ["Tell me about {t}.", "Explain {t}.", "I have a question about {t}.", "Can you tell me about {t}?", "What do you know about {t}?", "Quick question on {t}."];

    private static FactParaphrases P(string factId, string jaTopic, string[] ja, string enTopic, string[] en) => new(factId, new(jaTopic, ja), new(enTopic, en));

    public static IReadOnlyList<FactParaphrases> All { get; } =
    [
        // finance
        P("finance.nisa", "NISA", ["NISAって何のことですか？", "NISAの口座を使うと何が得になりますか？"],
            "NISA", ["What does NISA mean?", "What is special about a NISA account?"]),
        P("finance.nisa-annual-limit", "NISAの年間の投資上限", ["NISAの投資枠は年間でいくらまでですか？", "一年間のNISAの上限額を教えてください。"],
            "the yearly NISA investment cap", ["What is the yearly cap on NISA investments?", "NISA: how big is the annual allowance?"]),
        P("finance.ideco", "iDeCo", ["iDeCoって何のことですか？", "iDeCoの正式な名前は何ですか？"],
            "iDeCo", ["What does iDeCo stand for?", "iDeCo: what is it?"]),
        P("finance.compound-interest", "複利", ["複利ってどういう意味ですか？", "複利で利息が増えるのはなぜですか？"],
            "compound interest", ["What does compound interest mean?", "Why does money grow faster with compound interest?"]),
        P("finance.simple-interest", "単利", ["単利ってどういう意味ですか？", "単利では利息はどこにつきますか？"],
            "simple interest", ["What does simple interest mean?", "With simple interest, what earns interest?"]),
        P("finance.rule-of-72", "72の法則", ["72の法則ってどういう意味ですか？", "72の法則の使い方を知りたいです。"],
            "the rule of 72", ["What does the rule of 72 say?", "How do you use the rule of 72?"]),
        P("finance.stock", "株式", ["株式ってどういう意味ですか？", "株式は何を表していますか？"],
            "stocks", ["What does a stock represent?", "What is a share of stock?"]),
        P("finance.bond", "債券", ["債券ってどういう意味ですか？", "債券の仕組みはどうなっていますか？"],
            "bonds", ["What does a bond mean?", "What is a bond, simply put?"]),
        P("finance.dividend", "配当", ["配当ってどういう意味ですか？", "会社の利益の一部を分けるお金は何と呼びますか？"],
            "dividends", ["What does dividend mean?", "What is the money a company pays out of its profit called?"]),
        P("finance.pe-ratio", "PER", ["PERってどういう意味ですか？", "PERの計算式は何ですか？"],
            "the P/E ratio", ["What does P/E ratio mean?", "What is the formula of the P/E ratio?"]),
        P("finance.roe", "ROE", ["ROEってどういう意味ですか？", "ROEの計算式は何ですか？"],
            "ROE", ["What does ROE mean?", "What is the formula of ROE?"]),
        P("finance.dividend-yield", "配当利回り", ["配当利回りってどういう意味ですか？", "配当利回りの計算式は何ですか？"],
            "dividend yield", ["What does dividend yield mean?", "What is the formula of dividend yield?"]),
        P("finance.inflation", "インフレ", ["インフレってどういう意味ですか？", "物価が上がり続けることを何と言いますか？"],
            "inflation", ["What does inflation mean?", "What is it called when prices keep going up?"]),
        P("finance.deflation", "デフレ", ["デフレってどういう意味ですか？", "物価が下がり続けることを何と言いますか？"],
            "deflation", ["What does deflation mean?", "What is it called when prices keep going down?"]),
        P("finance.central-bank-japan", "日本の中央銀行", ["日本の中央銀行の名前は何ですか？", "日本で紙幣を発行している銀行はどこですか？"],
            "the central bank of Japan", ["What is the name of Japan's central bank?", "Which bank issues Japan's banknotes?"]),
        P("finance.central-bank-role", "中央銀行の役割", ["中央銀行の仕事は何ですか？", "中央銀行はどうやって物価を安定させますか？"],
            "the role of a central bank", ["What is the job of a central bank?", "How does a central bank keep prices stable?"]),
        P("finance.rates-and-bond-prices", "金利と債券価格の関係", ["金利が上がったら債券の価格は上がりますか、下がりますか？", "金利上昇のとき債券価格は？"],
            "interest rates and bond prices", ["Do bond prices go up or down when rates go up?", "When interest rates increase, what do bond prices do?"]),
        P("finance.diversification", "分散投資", ["分散投資をする理由は何ですか？", "分散投資ってどういう意味ですか？"],
            "diversification", ["What is the point of diversification?", "What does diversification mean?"]),
        P("finance.index-fund", "インデックスファンド", ["インデックスファンドってどういう意味ですか？", "インデックスファンドは何に連動しますか？"],
            "index funds", ["What does an index fund track?", "What does index fund mean?"]),
        P("finance.weak-yen", "円安と輸入品の値段", ["円安のとき輸入品は高くなりますか、安くなりますか？", "円安は輸入品の価格にどう影響しますか？"],
            "a weak yen and import prices", ["Does a weak yen make imports cheaper or more expensive?", "How does a weaker yen change import prices?"]),
        P("finance.deposit-insurance", "預金保険で守られる金額", ["預金保険の保護の上限額はいくらですか？", "預金保険制度では預金がいくらまで保護されますか？"],
            "deposit insurance", ["What is the limit of Japan's deposit insurance?", "Up to how much does deposit insurance protect?"]),
        P("finance.gdp", "GDP", ["GDPってどういう意味ですか？", "GDPは何の略ですか？"],
            "GDP", ["What does GDP mean?", "What does GDP stand for?"]),
        P("finance.largest-exchange", "日本最大の証券取引所", ["日本でいちばん大きい証券取引所の名前は？", "日本最大の取引所はどこですか？"],
            "Japan's biggest stock exchange", ["What is the name of the biggest stock exchange in Japan?", "Which is Japan's main stock exchange?"]),
        P("finance.emergency-fund", "生活防衛資金", ["生活防衛資金の目安は何か月分ですか？", "生活防衛資金ってどういう意味ですか？"],
            "emergency funds", ["How many months of expenses should an emergency fund cover?", "What is an emergency fund?"]),
        P("finance.liquidity", "流動性", ["流動性ってどういう意味ですか？", "流動性が高い資産とはどんな資産ですか？"],
            "liquidity", ["What does liquidity mean?", "What is a liquid asset?"]),
        P("finance.yield", "利回り", ["利回りってどういう意味ですか？", "利回りは何の割合ですか？"],
            "yield", ["What does yield mean?", "Yield is a percentage of what?"]),
        P("finance.market-cap", "時価総額", ["時価総額ってどういう意味ですか？", "時価総額の計算式は何ですか？"],
            "market capitalization", ["What does market capitalization mean?", "What is the formula of market cap?"]),
        P("finance.recession", "景気後退", ["景気後退ってどういう意味ですか？", "景気後退のとき経済はどうなりますか？"],
            "recessions", ["What does recession mean?", "What happens to the economy in a recession?"]),

        // medical
        P("medical.normal-temperature", "大人の平熱", ["平熱は普通何度ですか？", "大人の平熱の目安を教えてください。"],
            "normal body temperature", ["What is a normal temperature for adults?", "What body temperature is normal?"]),
        P("medical.fever", "発熱の基準", ["体温が何度以上だと発熱ですか？", "発熱とされる体温は？"],
            "fever", ["What temperature counts as a fever?", "How high must a temperature be to be a fever?"]),
        P("medical.normal-blood-pressure", "正常な血圧", ["正常な血圧はいくつ未満ですか？", "血圧の正常値を教えてください。"],
            "normal blood pressure", ["What blood pressure is normal?", "What are normal blood pressure values?"]),
        P("medical.hypertension", "高血圧の基準", ["高血圧と言われる血圧はいくつからですか？", "高血圧の目安の数値は？"],
            "hypertension", ["What blood pressure counts as hypertension?", "At what reading does high blood pressure start?"]),
        P("medical.resting-heart-rate", "安静時の心拍数", ["安静時の脈の正常値は？", "安静時の心拍数は普通いくつですか？"],
            "resting heart rate", ["What is a normal heart rate at rest?", "What resting pulse is normal?"]),
        P("medical.vitamin-c", "ビタミンC不足", ["ビタミンCが足りないと何の病気になりますか？", "ビタミンC不足で起こる病気の名前は？"],
            "vitamin C deficiency", ["What disease comes from too little vitamin C?", "Lack of vitamin C causes which disease?"]),
        P("medical.vitamin-d", "ビタミンDの働き", ["ビタミンDは何の吸収を助けますか？", "ビタミンDの役割は何ですか？"],
            "vitamin D", ["What does vitamin D do?", "Vitamin D helps the body absorb what?"]),
        P("medical.vitamin-a", "ビタミンA不足", ["ビタミンAが足りないと何が起こりますか？", "ビタミンA不足で起こる病気の名前は？"],
            "vitamin A deficiency", ["What happens with too little vitamin A?", "Lack of vitamin A causes which problem?"]),
        P("medical.vitamin-b1", "ビタミンB1不足", ["ビタミンB1が足りないと何の病気になりますか？", "ビタミンB1不足で起こる病気の名前は？"],
            "vitamin B1 deficiency", ["What disease comes from too little vitamin B1?", "Lack of vitamin B1 causes which disease?"]),
        P("medical.iron", "鉄分不足", ["鉄分が足りないと何になりますか？", "鉄分不足で起こる病気の名前は？"],
            "iron deficiency", ["What does a lack of iron cause?", "Too little iron leads to what?"]),
        P("medical.red-blood-cells", "赤血球", ["赤血球の仕事は何ですか？", "赤血球の働きを教えてください。"],
            "red blood cells", ["What is the job of red blood cells?", "What do red blood cells do?"]),
        P("medical.heatstroke-first-aid", "熱中症の応急手当", ["熱中症の人にはどんな手当をしますか？", "熱中症の応急処置を教えてください。"],
            "heatstroke first aid", ["How do you help someone with heatstroke?", "What is first aid for heat stroke?"]),
        P("medical.burn-first-aid", "やけどの応急手当", ["やけどをしたらどうしますか？", "やけどの応急処置を教えてください。"],
            "burn first aid", ["How do you treat a burn?", "What is first aid for burns?"]),
        P("medical.nosebleed", "鼻血の止め方", ["鼻血はどうやって止めますか？", "鼻血の手当を教えてください。"],
            "nosebleeds", ["How do you stop a nosebleed?", "What is first aid for a nosebleed?"]),
        P("medical.cpr-rate", "胸骨圧迫の回数", ["心臓マッサージは1分間に何回押しますか？", "胸骨圧迫の速さは1分間に何回ですか？"],
            "the rate of CPR chest compressions", ["How many compressions per minute are done in CPR?", "What is the CPR compression rate?"]),
        P("medical.ambulance-number", "救急車の番号", ["救急車は何番で呼びますか？", "日本の救急の電話番号は？"],
            "the ambulance number in Japan", ["What is Japan's ambulance number?", "Which number calls an ambulance in Japan?"]),
        P("medical.influenza", "インフルエンザの症状", ["インフルエンザにかかるとどんな症状が出ますか？", "インフルエンザの症状の特徴は？"],
            "flu symptoms", ["What are the symptoms of the flu?", "What does influenza feel like?"]),
        P("medical.common-cold-cause", "かぜの原因", ["かぜは何が原因でひきますか？", "かぜの原因を教えてください。"],
            "the cause of colds", ["What causes a cold?", "Why do people catch colds?"]),
        P("medical.antibiotics", "抗生物質", ["抗生物質は何をやっつける薬ですか？", "抗生物質が効く相手は？"],
            "antibiotics", ["What do antibiotics kill?", "What are antibiotics effective against?"]),
        P("medical.acetaminophen", "アセトアミノフェン", ["アセトアミノフェンってどんな薬ですか？", "アセトアミノフェンの効き目は？"],
            "acetaminophen", ["What type of drug is acetaminophen?", "What does acetaminophen do?"]),
        P("medical.antihistamines", "抗ヒスタミン薬", ["抗ヒスタミン薬は何に効きますか？", "抗ヒスタミン薬ってどんな薬ですか？"],
            "antihistamines", ["What are antihistamines for?", "What do antihistamines treat?"]),
        P("medical.insulin", "血糖値を下げるホルモン", ["血糖値を下げるのは何というホルモンですか？", "インスリンの働きは？"],
            "the hormone that lowers blood sugar", ["What hormone brings blood sugar down?", "What does insulin do?"]),
        P("medical.dehydration", "脱水のときの水分補給", ["脱水にはどんな飲み物がよいですか？", "脱水のとき何を飲めばよいですか？"],
            "drinks for dehydration", ["What should you drink when dehydrated?", "What is the best drink for dehydration?"]),
        P("medical.sleep", "大人の睡眠時間", ["大人は何時間寝るとよいですか？", "大人の睡眠時間の目安は？"],
            "sleep for adults", ["How many hours of sleep do adults need?", "What is the right amount of sleep for an adult?"]),
        P("medical.hand-washing", "手洗いの時間", ["手は何秒くらい洗えばよいですか？", "手洗いの時間の目安は？"],
            "hand washing", ["How many seconds should hand washing take?", "How long is a proper hand wash?"]),
        P("medical.bmi", "BMIの計算方法", ["BMIの計算式は何ですか？", "BMIってどうやって出しますか？"],
            "BMI", ["What is the BMI formula?", "How do you work out BMI?"]),
        P("medical.bmi-obesity", "日本の肥満の基準", ["日本で肥満とされるBMIはいくつからですか？", "日本の肥満の基準のBMIは？"],
            "obesity in Japan", ["What BMI is obese in Japan?", "Which BMI counts as obese in Japan?"]),
        P("medical.stroke-signs", "脳卒中のサイン", ["脳卒中のサインは何ですか？", "脳卒中を見分けるポイントは？"],
            "stroke signs", ["What are the signs of a stroke?", "How can you tell someone is having a stroke?"]),

        // org-acme
        P("org-acme.expense-deadline", "経費精算の締め切り", ["経費精算はいつまでに出しますか？", "経費精算の提出期限を教えてください。"],
            "the expense report deadline", ["When are expense reports due?", "What is the deadline for expense claims?"]),
        P("org-acme.expense-approver", "経費精算の承認者", ["経費精算の承認者は誰ですか？", "経費を承認してくれる人は？"],
            "expense approval", ["Who signs off on expense reports?", "Who is the approver for expenses?"]),
        P("org-acme.expense-limit", "上司が承認できる経費の上限", ["上司が一人で承認できる経費はいくらまでですか？", "経費の承認の上限額は？"],
            "the manager's expense approval limit", ["How much can a manager approve alone?", "What is the manager approval limit for expenses?"]),
        P("org-acme.purchase-approval", "30万円を超える購入の承認", ["30万円を超える買い物の承認者は誰ですか？", "30万円以上の購入を承認するのは？"],
            "approval of purchases over 300,000 yen", ["Who approves a purchase above 300,000 yen?", "Purchases over 300,000 yen need whose approval?"]),
        P("org-acme.contract-review", "契約書の確認", ["契約書はどの部署が確認しますか？", "署名の前に契約書を見るのはどの部署ですか？"],
            "contract review", ["Which department reviews contracts?", "Who must see a contract before signing?"]),
        P("org-acme.travel-approval", "出張の承認", ["出張の承認者は誰ですか？", "出張を承認するのは誰ですか？"],
            "business trip approval", ["Who signs off on business trips?", "Who is the approver for business travel?"]),
        P("org-acme.per-diem", "国内出張の日当", ["国内出張の日当は1日いくらですか？", "出張の日当の金額は？"],
            "the domestic per diem", ["How much is the per diem for domestic trips?", "What is the per diem for travel in Japan?"]),
        P("org-acme.it-helpdesk", "ITヘルプデスクの番号", ["ITヘルプデスクは何番ですか？", "PCが壊れたときの連絡先は何番ですか？"],
            "the IT help desk number", ["What number is the IT help desk?", "How do I reach IT support by phone?"]),
        P("org-acme.hr-desk", "人事部の番号", ["人事部は何番ですか？", "人事部に電話するには何番ですか？"],
            "the HR extension", ["What number is HR?", "How do I reach the HR department by phone?"]),
        P("org-acme.general-affairs-desk", "総務部の番号", ["総務部は何番ですか？", "総務部に電話するには何番ですか？"],
            "the general affairs number", ["What number is general affairs?", "How do I reach general affairs by phone?"]),
        P("org-acme.security-emergency", "緊急時の連絡先", ["緊急のときは何番に電話しますか？", "警備室の番号は何番ですか？"],
            "the emergency line", ["What number do I call in an emergency?", "What is the security office's number?"]),
        P("org-acme.annual-leave", "年次有給休暇の日数", ["有給休暇は1年に何日もらえますか？", "年休は何日ありますか？"],
            "annual paid leave", ["How much paid leave do I get each year?", "How many annual leave days are there?"]),
        P("org-acme.leave-carry-over", "有給休暇の繰り越し", ["有給休暇の繰り越しは何日までですか？", "残った有給休暇は翌年に使えますか？"],
            "carrying over paid leave", ["How many leave days can be carried over?", "Do unused leave days roll over?"]),
        P("org-acme.leave-request", "有給休暇の申請", ["有給休暇の申請は何日前までですか？", "有給休暇はどこで申請しますか？"],
            "leave requests", ["When must I request paid leave?", "Where do I request paid leave?"]),
        P("org-acme.sick-leave", "病気で休むときの連絡", ["病気で休む連絡はいつまでにしますか？", "病欠の連絡はいつ上司にしますか？"],
            "calling in sick", ["When do I tell my manager I am sick?", "What is the rule for sick days?"]),
        P("org-acme.office-hours", "勤務時間", ["勤務時間を教えてください。", "始業と終業の時間は？"],
            "office hours", ["When does the working day start and end?", "What time is the workday?"]),
        P("org-acme.core-time", "コアタイム", ["コアタイムは何時から何時まで？", "フレックスのコアタイムを教えてください。"],
            "core time", ["What hours are core time?", "When is flextime core time?"]),
        P("org-acme.remote-work", "在宅勤務の日数", ["在宅勤務は週何日までですか？", "テレワークは週に何日できますか？"],
            "working from home", ["How many home-office days are allowed per week?", "What is the work-from-home rule?"]),
        P("org-acme.password", "パスワードの長さ", ["パスワードの長さの決まりは？", "パスワードは何文字必要ですか？"],
            "password length", ["How many characters must a password have?", "What is the password rule?"]),
        P("org-acme.lost-laptop", "ノートPCをなくしたときの報告", ["ノートPCをなくしたらどうしますか？", "会社のノートPCの紛失はいつ報告しますか？"],
            "a lost laptop", ["What do I do if I lose my company laptop?", "When must I report a lost laptop?"]),
        P("org-acme.usb-drives", "私物のUSBメモリ", ["私物のUSBメモリは使えますか？", "USBメモリの決まりは？"],
            "personal USB drives", ["Are personal USB drives allowed?", "What is the rule for USB drives?"]),
        P("org-acme.phishing", "怪しいメール", ["怪しいメールはどこに送りますか？", "不審なメールが来たらどうしますか？"],
            "suspicious emails", ["Where do I send a suspicious email?", "What do I do with a strange email?"]),
        P("org-acme.visitors", "来客の決まり", ["来客の決まりは何ですか？", "お客様が社内にいるときの決まりは？"],
            "visitors", ["What is the visitor rule?", "What rule applies to visitors in the office?"]),
        P("org-acme.kestrel", "Project Kestrel", ["Kestrelって何ですか？", "Project Kestrelについて説明して。"],
            "Project Kestrel", ["What is Kestrel?", "Project Kestrel: what is it?"]),
        P("org-acme.osprey", "Project Osprey", ["Ospreyって何ですか？", "Project Ospreyについて説明して。"],
            "Project Osprey", ["What is Osprey?", "Project Osprey: what is it?"]),
        P("org-acme.heron", "Project Heron", ["Heronって何ですか？", "Project Heronについて説明して。"],
            "Project Heron", ["What is Heron?", "Project Heron: what is it?"]),
        P("org-acme.payday", "給料日", ["給料は毎月何日に出ますか？", "給料日を教えてください。"],
            "payday", ["What day is payday?", "When do we get paid?"]),
        P("org-acme.fiscal-year", "会計年度の始まり", ["会計年度は何月何日からですか？", "会計年度の開始日を教えてください。"],
            "the fiscal year", ["When does the financial year begin?", "What is the start date of the fiscal year?"]),
        P("org-acme.headquarters", "本社の場所", ["本社はどの街にありますか？", "本社の場所を教えてください。"],
            "the headquarters", ["Where is the head office?", "In which city is the HQ?"]),
        P("org-acme.onboarding", "新入社員研修", ["新入社員研修は何週間ですか？", "新人研修の長さは？"],
            "new employee training", ["How many weeks is onboarding?", "How long does training for new staff last?"]),
        P("org-acme.wiki", "社内ポータル", ["社内ポータルは何という名前ですか？", "社内ポータルの名前を教えてください。"],
            "the internal portal", ["What is the name of the internal portal?", "What do we call the company portal?"]),
    ];

    private static readonly Dictionary<string, FactParaphrases> ById = All.ToDictionary(set => set.FactId, StringComparer.Ordinal);

    /// <summary>The fact's extra training questions, or null for a fact that has none (every general fact).</summary>
    public static FactParaphrases? For(string factId) => ById.GetValueOrDefault(factId);

    /// <summary>Domains whose facts each have paraphrases: the adapter domains.</summary>
    public static IReadOnlyList<string> Domains { get; } = [NanoDomain.Finance, NanoDomain.Medical, NanoDomain.OrgAcme];

    /// <summary>Facts of the adapter domains without paraphrases, paraphrases of unknown or general facts, empty entries.</summary>
    public static IReadOnlyList<string> FindInconsistencies()
    {
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in All)
        {
            if (!seen.Add(set.FactId)) problems.Add($"{set.FactId}: paraphrases listed twice");
            if (!FactTables.All.Any(fact => fact.Id == set.FactId)) problems.Add($"{set.FactId}: paraphrases of an unknown fact");
            else if (!Domains.Contains(FactTables.Get(set.FactId).Domain)) problems.Add($"{set.FactId}: paraphrases for a domain whose training data must not change");
            foreach (var language in Enum.GetValues<Language>())
            {
                var paraphrases = set.In(language);
                if (string.IsNullOrWhiteSpace(paraphrases.Topic)) problems.Add($"{set.FactId} ({language}): empty topic");
                if (paraphrases.Questions.Any(string.IsNullOrWhiteSpace)) problems.Add($"{set.FactId} ({language}): empty question");
            }
        }
        foreach (var domain in Domains)
            foreach (var fact in FactTables.ForDomain(domain).Where(fact => !seen.Contains(fact.Id)))
                problems.Add($"{fact.Id}: no training paraphrases");
        return problems;
    }
}
