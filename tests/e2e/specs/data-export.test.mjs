// Every export downloads and parses; the JSONL export keeps FastChat's field names and
// re-imports (in a fresh browser profile) to the same leaderboard, which the CLI agrees with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from '../support/csv.mjs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { writeFixtures, battles } from '../support/fixtures.mjs';
import { cliLeaderboard } from '../support/cli.mjs';
import { Shell } from '../pages/shell.mjs';
import { DataPage } from '../pages/data.mjs';
import { LeaderboardPage } from '../pages/leaderboard.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
let browser;
let server;
let files;

before(async () => {
  mkdirSync('target/screenshots', { recursive: true });
  files = writeFixtures();
  server = await serveStatic(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const FASTCHAT = ['question_id', 'model_a', 'model_b', 'winner', 'judge', 'conversation_a', 'conversation_b', 'turn', 'anony', 'language', 'tstamp'];

async function ranking(page, shell) {
  await shell.open('#/leaderboard');
  const lb = new LeaderboardPage(page);
  await lb.waitForResult();
  return (await lb.rows()).map(({ model, rating, rank }) => ({ model, rating, rank }));
}

test('every export downloads and parses, and the JSONL re-imports to the same leaderboard', async (t) => {
  const source = battles();
  const { page, errors } = await pageFor(t, browser, { acceptDownloads: true });
  const shell = new Shell(page, server.url);
  await shell.open('#/data');
  const data = new DataPage(page);
  await data.import(files.fastchatJson);
  const before = await ranking(page, shell);
  await shell.open('#/data');

  const jsonl = await data.export('export-button');
  assert.equal(jsonl.name, 'arena-votes.jsonl');
  const records = jsonl.text.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 400);
  for (const r of records) {
    for (const k of FASTCHAT) assert.ok(k in r, `JSONL record has ${k}`);
    assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/, 'content id (UUIDv5)');
  }
  assert.equal(new Set(records.map((r) => r.id)).size, 400);
  assert.deepEqual(new Set(records.map((r) => r.question_id)), new Set(source.map((r) => r.question_id)));

  const fc = await data.export('export-fastchat');
  const array = JSON.parse(fc.text);
  assert.equal(array.length, 400);
  assert.deepEqual(Object.keys(array[0]).filter((k) => FASTCHAT.includes(k)).sort(), [...FASTCHAT].sort());
  assert.ok(!('id' in array[0]), 'FastChat fields only');

  const csv = parseCsv((await data.export('export-csv')).text);
  assert.equal(csv.length, 401, 'header and 400 rows');
  for (const k of ['model_a', 'model_b', 'winner']) assert.ok(csv[0].includes(k), `CSV has ${k}`);
  const w = csv[0].indexOf('winner');
  assert.deepEqual(csv.slice(1).map((row) => row[w]).sort(), records.map((r) => r.winner).sort());

  const dpo = (await data.export('export-dpo')).text.trimEnd().split('\n').map((l) => JSON.parse(l));
  const decisive = records.filter((r) => r.winner === 'model_a' || r.winner === 'model_b');
  assert.equal(dpo.length, decisive.length);
  const first = decisive[0];
  const win = first.winner === 'model_a' ? first.conversation_a : first.conversation_b;
  assert.deepEqual(dpo[0], {
    prompt: first.conversation_a[0].content,
    chosen: win[1].content,
    rejected: (first.winner === 'model_a' ? first.conversation_b : first.conversation_a)[1].content,
  });

  const anon = (await data.export('export-anonymised')).text.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(anon.length, 400);
  assert.ok(anon.every((r) => !r.conversation_a?.length && !r.conversation_b?.length), 'no conversations');
  assert.ok(anon.every((r) => /^judge-\d+$/.test(r.judge)));
  assert.ok(!JSON.stringify(anon).includes('Question 1 about'), 'no prompt text');
  assert.deepEqual(errors, []);

  // A fresh profile: import the exported JSONL, rank, compare.
  const out = join(files.dir, 'exported.jsonl');
  writeFileSync(out, jsonl.text);
  const fresh = await pageFor(t, browser);
  const shell2 = new Shell(fresh.page, server.url);
  await shell2.open('#/data');
  await new DataPage(fresh.page).import(out);
  assert.deepEqual(await ranking(fresh.page, shell2), before);
  const cli = cliLeaderboard([out]);
  assert.deepEqual(before.map((r) => r.model), cli.map((r) => r.model));
  before.forEach((r, i) => assert.ok(Math.abs(r.rating - cli[i].rating) <= 0.01));
  assert.deepEqual(fresh.errors, []);
});
