// Seeded vote files for the data and leaderboard specs, written to a temporary folder.
// The same seed always gives the same files; nothing here computes an expected result (the
// specs compare the app with the real `arena` CLI on these files).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One of these is a contestant of the shipped arena.json, so its display name is shown.
export const MODELS = ['smollm2-135m', 'gpt-4-0613', 'claude-2.1', 'llama-2-70b-chat', 'mixtral-8x22b', 'qwen-14b-chat'];
const STRENGTH = [0.9, 0.6, 0.3, 0.0, -0.4, -0.8];
const CATEGORIES = ['math', 'coding', 'creative writing'];

/** FastChat clean battles (no ids), with ties, categories, named and flagged votes. */
export function battles(n = 400, seed = 11) {
  const r = rng(seed);
  const out = [];
  for (let t = 0; t < n; t++) {
    const a = Math.floor(r() * MODELS.length);
    let b = Math.floor(r() * (MODELS.length - 1));
    if (b >= a) b += 1;
    const p = 1 / (1 + Math.exp(STRENGTH[b] - STRENGTH[a]));
    const u = r();
    const winner = u < 0.08 ? 'tie' : u < 0.12 ? 'tie (bothbad)' : r() < p ? 'model_a' : 'model_b';
    const category = CATEGORIES[t % 3];
    const long = t % 5 === 0;
    const prompt = `Question ${t} about ${category}` + (long ? ' with **detail**.\n- one\n- two' : '');
    const answer = (m) => `Answer from side ${m}: ` + 'word '.repeat(1 + Math.floor(r() * 40)) + (r() < 0.3 ? '\n\n# Heading\n- item\n- **bold**' : '');
    const rec = {
      question_id: `q-${t}`,
      model_a: MODELS[a],
      model_b: MODELS[b],
      winner,
      judge: `judge-${t % 7}`,
      conversation_a: [{ role: 'user', content: prompt }, { role: 'assistant', content: answer('a') }],
      conversation_b: [{ role: 'user', content: prompt }, { role: 'assistant', content: answer('b') }],
      turn: t % 9 === 0 ? 2 : 1,
      anony: t % 13 !== 0,
      language: t % 4 === 0 ? 'German' : 'English',
      tstamp: 1_700_000_000 + t * 37.5,
      category_tag: { [`${category.replace(' ', '_')}_v0.1`]: { [category.replace(' ', '_')]: true } },
    };
    if (t % 17 === 0) rec.flags = ['identity_leak'];
    out.push(rec);
  }
  return out;
}

/** Writes the fixture files; returns their paths. */
export function writeFixtures() {
  const dir = mkdtempSync(join(tmpdir(), 'arena-e2e-'));
  const all = battles();
  const files = {
    dir,
    fastchatJson: join(dir, 'clean_battle.json'),
    fastchatJsonl: join(dir, 'clean_battle.jsonl'),
    malformed: join(dir, 'malformed.jsonl'),
  };
  writeFileSync(files.fastchatJson, JSON.stringify(all, null, 1));
  writeFileSync(files.fastchatJsonl, all.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // Line 4 names a verdict FastChat does not have; line 7 is not JSON at all.
  const lines = all.slice(0, 10).map((r) => JSON.stringify(r));
  lines[3] = lines[3].replace(/"winner":"[^"]+"/, '"winner":"model_c"');
  lines[6] = '{"model_a": "gpt-4-0613", "model_b": ';
  writeFileSync(files.malformed, lines.join('\n') + '\n');
  return files;
}
