// Writes config/labelled-queries.jsonl: the routing sets' questions as labelled queries for the router
// (decision 0029). Rerun after a set joins the training sets; copy the output to deploy/k8s/base/catalog/.
//
//   node tools/labelled-queries/generate.js
//
// A set's label is what the router must answer for that query's tenant; a labelled query says which specialist's
// topic the question is. The two differ in two cases, and this script is where they are told apart:
// - a two-domain question ("multi") is not an example of either domain alone: left out;
// - an ACME rule question asked by `public` is labelled general only because `public` may not use org-acme; its
//   topic is org-acme (the router's hidden-leader rule still sends `public` to general).
// Sets not listed here (the newest blind sets, 20 and 21) stay unseen, so they can still measure the router.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const setsFolder = path.join(root, 'tests', 'Tsuzumi.Router.Tests', 'Routing');
const trainingSets = ['routing-set.jsonl', 'routing-heldout.jsonl',
  ...Array.from({ length: 18 }, (_, i) => `routing-heldout-${i + 2}.jsonl`)];

const seen = new Set();
const lines = [];
for (const set of trainingSets) {
  const text = fs.readFileSync(path.join(setsFolder, set), 'utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const item = JSON.parse(line);
    if (item.kind === 'multi') continue;
    let specialist = item.expected[0];
    if (item.tenant === 'public' && specialist === 'general' && /acme/i.test(item.query)) specialist = 'org-acme';
    const key = item.query.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(JSON.stringify({ query: item.query.trim(), specialist }));
  }
}
fs.writeFileSync(path.join(root, 'config', 'labelled-queries.jsonl'), lines.join('\n') + '\n');
console.log(`${lines.length} labelled queries from ${trainingSets.length} sets`);
