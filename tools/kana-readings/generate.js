// Writes the kana reading of every kanji noun the catalog's descriptions and examples use, so that the router's
// lexical side can read a query typed in kana (かぶ, ゆうきゅう, ねつ) as the kanji the catalog is written in.
// Run from this folder after editing config/constellation.json: npm install && node generate.js
// Readings come from kuromoji's IPADIC (kana-only nouns are added in katakana, see below); the exclusions below are everyday words whose kana also occur inside
// unrelated words or phrases (えん in ようちえん, ちがい in まちがい) or that IPADIC reads wrongly in context (日当 → ひなた).
const kuromoji = require('kuromoji');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const catalog = JSON.parse(fs.readFileSync(path.join(root, 'config', 'constellation.json'), 'utf8'));
const output = path.join(root, 'services', 'Tsuzumi.Router', 'Routing', 'KanaReadings.tsv');

const excluded = new Set(['えん', 'しつ', 'しゅう', 'まわり', 'つぎ', 'ちがい', 'ほうほう', 'ひなた', 'みず', 'やま', 'じこ',
  'いっしょ', 'みかた', 'たたかい', 'しお', 'にっぽん', 'いし', 'いくら', 'かき',
  // round 11: しょうか 消化 sits inside でしょうか, which ends many questions (…うつでしょうか read as …うつで消化)
  'しょうか']);
const corrections = [['にっとう', '日当']];
// Latin-letter domain terms that people type in kana (イデコ, にーさ, リート): read as the catalog's Latin spelling, in
// lower case as the router normalises text. The router matches a reading written in Latin letters only where a kana
// word starts (KanaReadings.cs), since いでこ also sits inside しないでこれ and りーと inside エリート. Letter-by-letter
// spellings only where they are long enough not to be anything else.
const latinReadings = [['いでこ', 'ideco'], ['にーさ', 'nisa'], ['りーと', 'reit'], ['ぺいぺい', 'paypay'],
  ['いーてぃーえふ', 'etf'], ['えーてぃーえむ', 'atm']];
const skippedKinds = new Set(['非自立', '代名詞', '数', '接尾', '副詞可能']);
const toHiragana = text => text.replace(/[\u30a1-\u30f6]/g, c => String.fromCharCode(c.charCodeAt(0) - 0x60));
const hasKanji = text => /[\u3400-\u9fff]/.test(text);

// Kana-only nouns of the catalog: loanwords (パスワード) and words it writes in kana (やけど). Their canonical form is
// katakana, which the router counts as content (hiragana alone is taken for particles), so that ぱすわーど, パスワード,
// やけど and ヤケド all give the same terms. A loanword is read from hiragana only when the hiragana spelling cannot be
// anything else (it has ー or a small vowel: ろーん, ふぁいる); plain kana such as ころな also occurs inside ordinary
// words (ところなら), and an everyday hiragana noun needs three letters.
const kanaOnly = text => /^[\u3041-\u3096\u30a1-\u30fa\u30fc]+$/.test(text);
const toKatakana = text => text.replace(/[\u3041-\u3096]/g, c => String.fromCharCode(c.charCodeAt(0) + 0x60));
const isKatakana = text => /^[\u30a1-\u30fa\u30fc]+$/.test(text);
const loanwordSpelling = reading => /[ーぁぃぅぇぉゃゅょゎゔ]/.test(reading);

const texts = catalog.specialists.flatMap(specialist => [specialist.description, ...specialist.examples]).map(text => text.normalize('NFKC'));
// Vocabulary lists hundreds of everyday words; a two-letter reading of one of them (かた 肩, はい 肺, しか 歯科) is also
// an everyday word or particle, so only readings of three letters or more are taken from it, and never a reading the
// descriptions and examples already give.
// The domains' vocabularies are read before the fallback's: `general`'s everyday nouns add readings, but never take one
// a domain already spells (人工衛星 must not turn えいせい 衛生 into 衛星, nor ほうき 放棄 into a broom).
const isFallback = specialist => specialist.id === catalog.routing?.fallback;
const vocabularyOf = specialists => specialists.flatMap(specialist => specialist.vocabulary ?? []).map(text => text.normalize('NFKC'));
const domainVocabulary = vocabularyOf(catalog.specialists.filter(specialist => !isFallback(specialist)));
const fallbackVocabulary = vocabularyOf(catalog.specialists.filter(isFallback));
const minimumVocabularyReading = 3;
const excludedFromVocabulary = new Set(['きゅう', 'じょう', 'ちょう', 'しょう', 'つまり', 'かずらね', 'かよいちょう', 'やいと', 'やまい',
  'かくし', 'かのう', 'ようそ', 'かてい', 'じゅう', 'にょう', 'りょう', 'ぐあい', 'づまり', 'おかし', 'かんじ', 'ようじ', 'いどう', 'ひろう',
  'ふよう', 'しぼう', 'せいり', 'おかん', 'しよう',
  // round 9 (general's everyday nouns): readings that are other everyday words or sit inside them
  'かんそう', 'けいこう', 'かしつ', 'とうじ', 'さんか', 'しゅん', 'しょく', 'すいじゃく', 'ひょう',
  'ようし', 'ようき', 'ふくし', 'ふごう', 'ひしお', 'まこと', 'こうこう', 'かめい', 'かなぼし', 'はちす', 'づけい', 'あらい',
  // round 10 (science, hobby and fund nouns): other everyday words (広告, 講師, 同意, 待機, 好転, カイロ) or inside them
  // (ふりこみ 振込, たんさん 炭酸, とうたつ 到達, ひこうかい 非公開)
  'こうこく', 'こうし', 'どうい', 'たいき', 'こうてん', 'かいろ', 'ふりこ', 'たんさ', 'とうた', 'ひこう',
  // round 11 (first aid, memory and mood words): 火傷 is typed やけど, not かしょう (in しかしょうがない); きょうみ sits in
  // きょうみんな (今日みんな), やるき in はやるきせつ (流行る季節)
  'かしょう', 'きょうみ', 'やるき']);
kuromoji.builder({ dicPath: path.join(__dirname, 'node_modules', 'kuromoji', 'dict') }).build((error, tokenizer) => {
  if (error) throw error;
  const counts = new Map(); // reading → (written → count)
  const countSpelling = (reading, written) => {
    const spellings = counts.get(reading) ?? new Map();
    spellings.set(written, (spellings.get(written) ?? 0) + 1);
    counts.set(reading, spellings);
  };
  const compounds = [];
  for (const text of texts) {
    const tokens = tokenizer.tokenize(text);
    tokens.forEach((token, at) => {
      const suffix = tokens[at + 1];
      if (token.pos !== '名詞' || skippedKinds.has(token.pos_detail_1) || !suffix || suffix.pos_detail_1 !== '接尾' || !hasKanji(token.surface_form) || !hasKanji(suffix.surface_form)) return;
      if (!token.reading || token.reading === '*' || !suffix.reading || suffix.reading === '*') return;
      compounds.push([toHiragana(token.reading + suffix.reading), token.surface_form + suffix.surface_form]);
    });
    for (const token of tokens) {
      if (token.pos !== '名詞' || skippedKinds.has(token.pos_detail_1)) continue;
      if (kanaOnly(token.surface_form)) {
        const reading = toHiragana(token.surface_form);
        const usable = isKatakana(token.surface_form) ? loanwordSpelling(reading) : reading.length >= 3;
        if (usable && !excluded.has(reading)) counts.set(reading, new Map([[toKatakana(token.surface_form), 1]]));
        continue;
      }
      if (!hasKanji(token.surface_form)) continue;
      if (!token.reading || token.reading === '*') continue;
      const reading = toHiragana(token.reading);
      if (reading.length < 2 || excluded.has(reading)) continue;
      countSpelling(reading, token.surface_form);
    }
  }
  // A noun and its kanji suffix, which IPADIC splits (円安 → 円 + 安, 糖尿病 → 糖尿 + 病), are also read as one word: えん
  // alone is excluded, so えんやす had no reading at all.
  for (const [reading, written] of compounds) {
    if (!excluded.has(reading)) countSpelling(reading, written);
  }
  const known = new Set(counts.keys());
  const readVocabulary = (vocabulary, taken) => {
    for (const text of vocabulary) {
      for (const token of tokenizer.tokenize(text)) {
        if (token.pos !== '名詞' || skippedKinds.has(token.pos_detail_1)) continue;
        const kanaNoun = kanaOnly(token.surface_form);
        if (!kanaNoun && (!hasKanji(token.surface_form) || !token.reading || token.reading === '*')) continue;
        const reading = toHiragana(kanaNoun ? token.surface_form : token.reading);
        if (reading.length < minimumVocabularyReading || taken.has(reading) || excluded.has(reading) || excludedFromVocabulary.has(reading)) continue;
        if (kanaNoun && isKatakana(token.surface_form) && !loanwordSpelling(reading)) continue;
        countSpelling(reading, kanaNoun ? toKatakana(token.surface_form) : token.surface_form);
      }
    }
  };
  readVocabulary(domainVocabulary, known);
  readVocabulary(fallbackVocabulary, new Set(counts.keys()));
  for (const [reading, written] of corrections) counts.set(reading, new Map([[written, 1]]));
  for (const [reading, written] of latinReadings) counts.set(reading, new Map([[written, 1]]));
  // One spelling per reading: the one the catalog uses most (かがく → 科学 rather than 化学; both are general).
  const lines = [...counts.entries()]
    .map(([reading, written]) => [reading, [...written.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0]])
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([reading, written]) => `${reading}\t${written}`);
  fs.writeFileSync(output, ['# reading<TAB>written; generated by tools/kana-readings/generate.js from config/constellation.json', ...lines].join('\n') + '\n');
  console.log(`${lines.length} readings → ${path.relative(root, output)}`);
});
