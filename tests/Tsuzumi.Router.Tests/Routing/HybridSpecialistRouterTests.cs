using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class HybridSpecialistRouterTests(RoutingFixture fixture)
{
    [Theory]
    [InlineData("How do I pay less tax on the dividends from my shares?", "finance")]
    [InlineData("円安が続くと外貨預金は得ですか？", "finance")]
    [InlineData("My child has a rash and a fever, should we see a doctor?", "medical")]
    [InlineData("高血圧の薬を飲み忘れました", "medical")]
    [InlineData("Who do I ask to approve my taxi receipts?", "org-acme")]
    [InlineData("出張の宿泊費はいくらまで精算できますか？", "org-acme")]
    public void A_single_domain_question_goes_to_its_specialist_alone(string query, string expected)
    {
        var decision = fixture.Router.Route(query, "acme");

        Assert.Equal(expected, decision.Chosen[0]);
        Assert.False(decision.FellBack);
        Assert.Equal(decision.Candidates.OrderByDescending(candidate => candidate.Score).Select(candidate => candidate.Id), decision.Candidates.Select(candidate => candidate.Id));
    }

    // Typed on a phone or without converting: the kana reading of the catalog's kanji (配当金, 税金, 頭痛, 薬, 経費).
    [Theory]
    [InlineData("はいとうきんにもぜいきんってかかるの？", "public", "finance")]
    [InlineData("ずつうがひどいときのくすりおしえて", "public", "medical")]
    [InlineData("えんだかになると ゆにゅうひんは やすくなる？", "public", "finance")]
    [InlineData("けいひのしんせいってどこからするの", "acme", "org-acme")]
    public void A_question_typed_in_kana_goes_to_its_specialist(string query, string tenant, string expected)
    {
        var decision = fixture.Router.Route(query, tenant);

        Assert.Equal(expected, decision.Chosen[0]);
        Assert.False(decision.FellBack, string.Join(' ', decision.Candidates));
    }

    // Round 11: an injury or an illness told as a situation (in the kitchen, at home) keeps its specialist through the
    // everyday words of first aid, dizziness, memory loss and low mood in medical's vocabulary, while the same kitchen
    // without an injury stays general's.
    [Theory]
    [InlineData("料理中に包丁で指を切ってしまい、血が止まりません")]
    [InlineData("天井がぐるぐる回ってめまいがする")]
    [InlineData("my grandmother keeps forgetting things, is it dementia?")]
    [InlineData("最近気分の落ち込みがひどくて何も楽しめない")]
    [InlineData("I've been feeling low for weeks and nothing feels fun anymore")]
    public void An_injury_or_illness_told_as_a_situation_goes_to_medical(string query)
    {
        var decision = fixture.Router.Route(query, "public");

        Assert.Equal("medical", decision.Chosen[0]);
        Assert.False(decision.FellBack, string.Join(' ', decision.Candidates));
    }

    [Theory]
    [InlineData("包丁の研ぎ方を教えて")]
    [InlineData("揚げ物の油は何回使える？")]
    [InlineData("how hot should the oven be for roasting vegetables?")]
    public void A_kitchen_question_without_an_injury_stays_with_general(string query)
    {
        var decision = fixture.Router.Route(query, "public");

        Assert.Equal(["general"], decision.Chosen);
    }

    // iDeCo and NISA typed in kana read as the catalog's Latin spelling (KanaReadings).
    [Theory]
    [InlineData("いでこってなに？")]
    [InlineData("にーさとイデコどっちがいい？")]
    public void A_latin_letter_term_typed_in_kana_goes_to_its_specialist(string query)
    {
        var decision = fixture.Router.Route(query, "public");

        Assert.Equal("finance", decision.Chosen[0]);
        Assert.False(decision.FellBack, string.Join(' ', decision.Candidates));
    }

    [Theory]
    [InlineData("How do I make a crispy pizza crust?")]
    [InlineData("Which team won the Super Bowl?")]
    [InlineData("JavaScriptで配列をソートするには？")]
    [InlineData("美味しい餃子の包み方")]
    public void A_question_no_specialist_fits_goes_to_general(string query)
    {
        var decision = fixture.Router.Route(query, "acme");

        Assert.Equal(["general"], decision.Chosen);
    }

    // Since general has its own vocabulary (JavaScript, 餃子…) and everyday questions to embed (round 8: a crispy pizza
    // crust now reaches it on merit), most such questions reach it on merit; one that no specialist, general included,
    // knows well enough still reaches it as the fallback.
    [Fact]
    public void A_question_nothing_fits_falls_back_to_general()
    {
        var decision = fixture.Router.Route("qwerty asdf zxcv", "acme");

        Assert.Equal(["general"], decision.Chosen);
        Assert.True(decision.FellBack, string.Join(' ', decision.Candidates));
    }

    [Fact]
    public void A_general_knowledge_question_is_chosen_by_general_on_its_own_merit()
    {
        var decision = fixture.Router.Route("Which planet has the most moons?", "public");

        Assert.Equal(["general"], decision.Chosen);
        Assert.False(decision.FellBack, string.Join(' ', decision.Candidates));
    }

    // Two-domain recall is the router's weakest point (about 0.7 on the sets, see docs/routing.md); the set-level
    // floor is asserted in RoutingSetTests, these pin the mechanism.
    [Theory]
    [InlineData("Are my hospital bills deductible on my tax return?", "public", "finance", "medical")]
    [InlineData("ACMEの健康診断で引っかかったら病院代は会社が出しますか？", "acme", "org-acme", "medical")]
    public void A_question_spanning_two_domains_chooses_both(string query, string tenant, string first, string second)
    {
        var decision = fixture.Router.Route(query, tenant);

        Assert.Equal(2, decision.Chosen.Count);
        Assert.Contains(first, decision.Chosen);
        Assert.Contains(second, decision.Chosen);
    }

    [Fact]
    public void A_tenant_never_sees_a_specialist_it_may_not_use()
    {
        const string query = "How many days of paid leave do I get this year?";

        var employee = fixture.Router.Route(query, "acme");
        var outsider = fixture.Router.Route(query, ConstellationCatalog.PublicTenant);

        Assert.Equal("org-acme", employee.Chosen[0]);
        Assert.DoesNotContain(outsider.Candidates, candidate => candidate.Id == "org-acme");
        Assert.DoesNotContain("org-acme", outsider.Chosen);
    }

    [Theory]
    [InlineData("Who signs off on my expense claims and receipts at ACME?")]
    [InlineData("ACMEの経費精算で領収書をなくした場合はどうしますか？")]
    public void A_question_about_a_domain_the_tenant_may_not_use_falls_back_instead_of_going_to_a_neighbour(string query)
    {
        var employee = fixture.Router.Route(query, "acme");
        var outsider = fixture.Router.Route(query, ConstellationCatalog.PublicTenant);

        Assert.Equal("org-acme", employee.Chosen[0]);
        Assert.Equal(["general"], outsider.Chosen);
        Assert.True(outsider.FellBack);
        Assert.DoesNotContain(outsider.Candidates, candidate => candidate.Id == "org-acme");
    }

    // Inheriting shares is finance's question, though ACME's rules (hidden from outsiders) explain 名義変更の手続き a shade
    // better: the visible domain fits nearly as well, so the hidden leader steps aside instead of making it fall back.
    // (祖母から株を相続しました。名義変更の手続きと、相続税の評価額の決まり方を知りたいです。 was the other example until round 15's
    // 24-word embedding cut: without labelled queries finance then scores 0.79 of org-acme and it falls back; the shipped
    // catalog's labelled queries send it to finance, checked below.)
    [Theory]
    [InlineData("父が亡くなって株を相続することになりました。名義変更の手続きや、相続税の評価額はいつの株価で決まるのでしょうか。")]
    public void A_question_a_visible_domain_fits_nearly_as_well_as_a_hidden_one_goes_to_the_visible_domain(string query)
    {
        var employee = fixture.RouterWithoutLabelledQueries.Route(query, "acme");
        using var plainRule = new HybridSpecialistRouter(new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries), fixture.Embedder, new RoutingTuning { HiddenLeaderRatio = 1 });

        var outsider = fixture.RouterWithoutLabelledQueries.Route(query, ConstellationCatalog.PublicTenant);

        Assert.Equal("org-acme", employee.Candidates[0].Id);
        Assert.Equal(["general"], plainRule.Route(query, ConstellationCatalog.PublicTenant).Chosen);
        Assert.Equal("finance", outsider.Chosen[0]);
        Assert.False(outsider.FellBack);
    }

    [Fact]
    public void Inheriting_shares_asked_from_outside_goes_to_finance_with_the_shipped_labelled_queries()
    {
        var outsider = fixture.Router.Route("祖母から株を相続しました。名義変更の手続きと、相続税の評価額の決まり方を知りたいです。", ConstellationCatalog.PublicTenant);

        Assert.Equal("finance", outsider.Chosen[0]);
        Assert.False(outsider.FellBack);
    }

    // Round 12: a saying asked about without quotes is mentioned as a quoted one is (借金 or 心臓 in a saying makes no
    // financial or medical question), while a domain term asked about keeps its specialist: its terms cover the phrase.
    [Theory]
    [InlineData("心臓に毛が生えてるってどういう意味", "general")]
    [InlineData("iDeCoってどういう意味", "finance")]
    [InlineData("有給休暇とはどういう意味ですか", "org-acme")]
    public void A_japanese_phrase_asked_about_without_quotes_counts_as_mentioned_unless_it_is_a_domain_term(string query, string expected)
    {
        var decision = fixture.Router.Route(query, "acme");

        Assert.Equal(expected, decision.Chosen[0]);
    }

    [Fact]
    public void A_hidden_leader_ratio_outside_its_range_is_refused_at_start()
    {
        Assert.Throws<ArgumentException>(() => new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { HiddenLeaderRatio = 0 }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("？！…")]
    public void A_query_without_words_is_refused_clearly(string query)
    {
        var error = Assert.Throws<ArgumentException>(() => fixture.Router.Route(query, "public"));

        Assert.Equal("query", error.ParamName);
    }

    [Fact]
    public void A_missing_tenant_is_refused_clearly()
    {
        Assert.Throws<ArgumentNullException>(() => fixture.Router.Route("What is a dividend?", null!));
        Assert.Throws<ArgumentException>(() => fixture.Router.Route("What is a dividend?", ""));
    }

    [Fact]
    public void A_long_prompt_is_routed_on_its_beginning()
    {
        var query = "What is the P/E ratio of a stock? " + string.Concat(Enumerable.Repeat("Please answer in detail. ", 2000));

        var decision = fixture.Router.Route(query, "public");

        Assert.Equal("finance", decision.Chosen[0]);
    }

    [Fact]
    public void A_route_threshold_of_one_specialist_keeps_it_out_unless_it_fits_that_well()
    {
        var strictFinance = fixture.Catalog with
        {
            Specialists = fixture.Catalog.Specialists.Select(specialist => specialist.Id == "finance" ? specialist with { RouteThreshold = 1.01 } : specialist).ToArray(),
        };
        using var router = new HybridSpecialistRouter(new StaticCatalogSource(strictFinance), fixture.Embedder);

        var decision = router.Route("What is a dividend yield?", "public");

        Assert.DoesNotContain("finance", decision.Chosen);
        Assert.Contains(decision.Candidates, candidate => candidate.Id == "finance");
    }

    [Fact]
    public void Top_k_of_one_keeps_a_single_specialist_for_a_two_domain_question()
    {
        var single = fixture.Catalog with { Routing = fixture.Catalog.Routing with { TopK = 1 } };
        using var router = new HybridSpecialistRouter(new StaticCatalogSource(single), fixture.Embedder);

        var decision = router.Route("Are my hospital bills deductible on my tax return?", "public");

        Assert.Single(decision.Chosen);
    }

    [Fact]
    public void Without_a_fallback_specialist_a_query_nothing_fits_chooses_none()
    {
        var withoutGeneral = fixture.Catalog with { Specialists = fixture.Catalog.Specialists.Where(specialist => specialist.Id != "general").ToArray() };
        using var router = new HybridSpecialistRouter(new StaticCatalogSource(withoutGeneral), fixture.Embedder);

        var decision = router.Route("How do I make a crispy pizza crust?", "public");

        Assert.Empty(decision.Chosen);
        Assert.True(decision.FellBack);
    }

    [Fact]
    public void A_new_catalog_version_rebuilds_the_index_and_embeds_only_what_changed()
    {
        var source = new ReplaceableCatalogSource(fixture.Catalog);
        var counting = new CountingEmbedder(fixture.Embedder);
        using var router = new HybridSpecialistRouter(source, counting);
        var embeddedAtStart = counting.Sentences;
        const string query = "How long should I knead bread dough?";
        Assert.Equal(["general"], router.Route(query, "public").Chosen);

        var cooking = fixture.Catalog.Specialists.Single(specialist => specialist.Id == "finance") with
        {
            Id = "cooking",
            Description = "Cooking and baking: recipes, bread, dough, ovens, knives. 料理とお菓子作り。",
            Examples = ["How do I bake bread at home?", "How long should cookies stay in the oven?", "パンをこねる時間は？", "カレーの作り方を教えて"],
            Vocabulary = [],
            RouteThreshold = null,
        };
        var next = fixture.Catalog with { Specialists = [.. fixture.Catalog.Specialists, cooking], Version = "with-cooking" };
        var beforeChange = counting.Sentences;
        source.Replace(next);

        Assert.Equal("with-cooking", router.IndexVersion);
        Assert.Equal(2, router.IndexBuilds);
        Assert.Equal(1 + cooking.Examples.Count, counting.Sentences - beforeChange); // the cooking texts only
        Assert.True(embeddedAtStart > 100, $"{embeddedAtStart} catalog texts embedded at start");
        Assert.Equal("cooking", router.Route(query, "public").Chosen[0]);
    }

    // Words only the vocabulary lists (the examples and descriptions never use them) reach their specialist with it and
    // fall back without it; the vocabulary is never embedded, so it costs the build nothing on the embedding side.
    [Theory]
    [InlineData("耳鳴りがひどい", "public", "medical")]
    [InlineData("二日酔い", "public", "medical")]
    [InlineData("忘年会の幹事", "acme", "org-acme")]
    [InlineData("産業医との面談", "acme", "org-acme")]
    public void Everyday_words_of_a_specialist_s_vocabulary_route_to_it_and_are_never_embedded(string query, string tenant, string expected)
    {
        var withoutVocabulary = fixture.Catalog with
        {
            Specialists = [.. fixture.Catalog.Specialists.Select(specialist => specialist with { Vocabulary = [] })],
            Version = "without-vocabulary",
        };
        var counting = new CountingEmbedder(fixture.Embedder);
        using var plain = new HybridSpecialistRouter(new StaticCatalogSource(withoutVocabulary), counting);
        var embeddedWithout = counting.Sentences;
        using var withVocabulary = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), counting);

        Assert.Equal(embeddedWithout, counting.Sentences - embeddedWithout);
        Assert.True(fixture.Catalog.Specialists.Sum(specialist => specialist.Vocabulary.Count) > 1000);
        Assert.NotEqual(expected, plain.Route(query, tenant).Chosen.FirstOrDefault());
        Assert.Equal(expected, withVocabulary.Route(query, tenant).Chosen[0]);
    }

    // General questions that use a domain's word in another sense (a saying with "feeds", Monopoly's bank): with only
    // general's few dozen examples MiniLM's nearest neighbour was the domain's; general's embedding-only examples cover
    // everyday topics (games, idioms, cooking…), so general now has a neighbour of its own. (The saying is unquoted: a
    // quoted one would also meet the mentioned-phrase rule, which works without the embedding examples.)
    [Theory]
    [InlineData("what's the origin of the saying bite the hand that feeds you", "medical")]
    [InlineData("in monopoly can you borrow money from the bank", "finance")]
    public void A_general_question_using_a_domain_word_in_another_sense_finds_a_neighbour_among_general_s_embedding_examples(string query, string sharedWith)
    {
        using var withoutThem = new HybridSpecialistRouter(new StaticCatalogSource(WithoutEmbeddingExamples(fixture.CatalogWithoutLabelledQueries)), fixture.Embedder);

        var before = withoutThem.Route(query, "public");
        var now = fixture.RouterWithoutLabelledQueries.Route(query, "public");

        Assert.Equal(sharedWith, before.Chosen[0]);
        Assert.Equal(["general"], now.Chosen);
    }

    // Embedding-only examples are embedded once per catalog version and never enter the lexical side: a keyword question of
    // a domain keeps its specialist with exactly the score it had, whatever general's embedding examples say.
    [Theory]
    [InlineData("ibuprofen dose for a headache", "public", "medical")]
    [InlineData("roth ira limit", "public", "finance")]
    [InlineData("住宅ローン 繰り上げ返済", "public", "finance")]
    [InlineData("花粉症の薬", "public", "medical")]
    public void Embedding_examples_are_embedded_but_leave_a_domain_s_keyword_question_and_its_score_as_they_were(string query, string tenant, string expected)
    {
        var counting = new CountingEmbedder(fixture.Embedder);
        using var withoutThem = new HybridSpecialistRouter(new StaticCatalogSource(WithoutEmbeddingExamples(fixture.Catalog)), counting);
        var embeddedWithout = counting.Sentences;
        using var withThem = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), counting);

        var general = fixture.Catalog.FindSpecialist("general")!;
        Assert.True(general.EmbeddingExamples.Count >= 150, $"{general.EmbeddingExamples.Count} embedding examples");
        Assert.Equal(embeddedWithout + general.EmbeddingExamples.Count, counting.Sentences - embeddedWithout);
        var now = withThem.Route(query, tenant);
        Assert.Equal(expected, now.Chosen[0]);
        Assert.Equal(withoutThem.Route(query, tenant).Candidates.Single(candidate => candidate.Id == expected), now.Candidates.Single(candidate => candidate.Id == expected));
    }

    private static ConstellationCatalog WithoutEmbeddingExamples(ConstellationCatalog catalog) => catalog with
    {
        Specialists = [.. catalog.Specialists.Select(specialist => specialist with { EmbeddingExamples = [] })],
        Version = catalog.Version + "-without-embedding-examples",
    };

    // English questions made of a specialist's own words, which MiniLM places far from every example: with the embedding
    // fixed at 0.8 of the score they fall just under the threshold and go to general; strong lexical evidence now
    // carries more weight, so they reach the specialist whose words they are. (Blind set 6's misses of round 5; shorter
    // ones such as "best cure for a hangover" passed already, the surrounding everyday words are what diluted these.)
    [Theory]
    [InlineData("ringing in my ears since the concert last night, will it go away", "public", "medical")]
    [InlineData("how long does a hangover last and what actually helps", "public", "medical")]
    [InlineData("are we allowed to paste customer data into ChatGPT", "acme", "org-acme")]
    public void An_english_question_of_a_specialist_s_own_words_reaches_it_though_the_embedding_finds_it_far(string query, string tenant, string expected)
    {
        var fixedShare = new RoutingTuning { EmbeddingWeightStrongLexical = new RoutingTuning().EmbeddingWeightEnglish };
        using var fixedRouter = new HybridSpecialistRouter(new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries), fixture.Embedder, fixedShare);

        var before = fixedRouter.Route(query, tenant);
        var now = fixture.RouterWithoutLabelledQueries.Route(query, tenant);

        Assert.NotEqual(expected, before.Chosen.FirstOrDefault());
        Assert.Equal(expected, now.Chosen[0]);
        Assert.False(now.FellBack, string.Join(' ', now.Candidates));
    }

    // General questions that share one word with a domain (借りたい with loans, 子ども with children's health) while
    // general's own words explain the rest: without the lone-word rule the shared word wins them for the domain.
    [Theory]
    [InlineData("手を借りたいほど忙しい、ということわざ", "finance")]
    [InlineData("子ども向けの科学の本", "medical")]
    public void A_general_question_sharing_one_word_with_a_domain_goes_to_general(string query, string sharedWith)
    {
        using var withoutRule = new HybridSpecialistRouter(new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries), fixture.Embedder, new RoutingTuning { LoneWordWeight = 1 });

        var before = withoutRule.Route(query, "public");
        var now = fixture.RouterWithoutLabelledQueries.Route(query, "public");

        Assert.Equal(sharedWith, before.Chosen[0]);
        Assert.Equal(["general"], now.Chosen);
    }

    // A saying asked about is mentioned, not used: the domain word inside it (薬, 金, 借り) does not make the
    // question the domain's. Without the mentioned-phrase rule each of these goes to that domain.
    [Theory]
    [InlineData("「薬も過ぎれば毒となる」の意味", "medical")]
    [InlineData("「借りてきた猫」ってどういう意味？", "finance")]
    [InlineData("「良薬は口に苦し」ってどういう意味？", "medical")]
    [InlineData("「金は天下の回りもの」の意味", "finance")]
    public void A_saying_asked_about_goes_to_general_though_it_holds_a_domain_word(string query, string domainWord)
    {
        using var withoutRule = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { MentionedWeight = 1 });

        var before = withoutRule.Route(query, "public");
        var now = fixture.Router.Route(query, "public");

        Assert.Equal(domainWord, before.Chosen[0]);
        Assert.Equal(["general"], now.Chosen);
    }

    // A quoted domain term is the domain's own word: its specialist covers the phrase and keeps its evidence.
    [Theory]
    [InlineData("「有給休暇」の意味を教えて", "acme", "org-acme")]
    [InlineData("「確定申告」ってどういう意味？", "public", "finance")]
    [InlineData("what does 'compound interest' mean", "public", "finance")]
    public void A_quoted_domain_term_asked_about_keeps_its_specialist(string query, string tenant, string expected)
    {
        var decision = fixture.Router.Route(query, tenant);

        Assert.Equal(expected, decision.Chosen[0]);
        Assert.False(decision.FellBack, string.Join(' ', decision.Candidates));
    }

    // Quoted words that the question uses, not asks about (a manager's words, a form's title): nothing changes.
    [Theory]
    [InlineData("上司に「早く病院に行ってこい」と言われた、熱が38度ある", "acme")]
    [InlineData("the form is titled 'travel expense reimbursement request', who approves it", "acme")]
    public void Quoted_words_the_question_uses_keep_their_evidence(string query, string tenant)
    {
        using var withoutRule = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { MentionedWeight = 1 });

        Assert.Equal(withoutRule.Route(query, tenant).Candidates, fixture.Router.Route(query, tenant).Candidates);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void A_mentioned_phrase_weight_outside_zero_to_one_is_refused_at_startup(double weight)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { MentionedWeight = weight }));

        Assert.Contains("mentioned-phrase", error.Message);
    }

    // Keyword-only questions: one word (or two) is all the evidence there is, and general knows nothing else in the
    // query, so the rule leaves them exactly as they were.
    [Theory]
    [InlineData("NISA 上限", "public", "finance")]
    [InlineData("ｲﾝﾌﾙ", "public", "medical")]
    [InlineData("VPN", "acme", "org-acme")]
    public void A_keyword_only_question_keeps_its_specialist_and_its_score(string query, string tenant, string expected)
    {
        using var withoutRule = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { LoneWordWeight = 1 });

        var now = fixture.Router.Route(query, tenant);

        Assert.Equal(expected, now.Chosen[0]);
        Assert.False(now.FellBack, string.Join(' ', now.Candidates));
        Assert.Equal(withoutRule.Route(query, tenant).Candidates, now.Candidates);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void A_lone_word_weight_outside_zero_to_one_is_refused_at_startup(double weight)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { LoneWordWeight = weight }));

        Assert.Contains("lone-word", error.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void A_strong_lexical_embedding_weight_outside_zero_to_one_is_refused_at_startup(double weight)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, new RoutingTuning { EmbeddingWeightStrongLexical = weight }));

        Assert.Contains("strong-lexical", error.Message);
    }

    [Fact]
    public void Routing_embeds_the_query_only_never_the_catalog_again()
    {
        var counting = new CountingEmbedder(fixture.Embedder);
        using var router = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), counting);
        var afterBuild = counting.Sentences;

        for (var i = 0; i < 5; i++) router.Route("What is the yield of a ten-year government bond?", "public");

        Assert.Equal(5, counting.Sentences - afterBuild);
        Assert.Equal(1, router.IndexBuilds);
    }

    [Fact]
    public void Concurrent_queries_get_the_same_decisions_as_one_at_a_time()
    {
        string[] queries =
        [
            "What is a dividend yield?", "血圧が高いときの食事は？", "How do I reset my VPN password?", "経費の締め切りはいつ？",
            "Who painted the Sistine Chapel ceiling?", "Are my hospital bills deductible on my tax return?",
        ];
        var sequential = queries.Select(query => fixture.Router.Route(query, "acme")).ToArray();

        var parallel = new RouteDecision[queries.Length * 4];
        Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = fixture.Router.Route(queries[i % queries.Length], "acme"));

        for (var i = 0; i < parallel.Length; i++)
        {
            Assert.Equal(sequential[i % queries.Length].Chosen, parallel[i].Chosen);
            Assert.Equal(sequential[i % queries.Length].Candidates, parallel[i].Candidates);
        }
    }
}
