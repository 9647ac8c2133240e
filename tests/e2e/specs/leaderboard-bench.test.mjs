// Benchmark, in the browser: prints figures and asserts nothing about time.
//
// 1. The whole leaderboard with 100 bootstrap rounds on 100,000 seeded synthetic battles
//    among 100 models, computed inside the data worker (the same module the page uses),
//    several runs; the median is printed.
// 2. The same size through the real path: a 100,000-line JSONL file imported on the Data
//    page, then ranked on the Leaderboard page with bootstrap intervals (IndexedDB read and
//    ranking timed separately by the worker); then efficient pairing's ratings request,
//    first with every vote read, then after one more vote is stored (only it is read).
//
//     ARENA_BENCH_BATTLES=100000 ARENA_BENCH_RUNS=7 node --test tests/e2e/specs/leaderboard-bench.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';
import { DataPage } from '../pages/data.mjs';
import { LeaderboardPage } from '../pages/leaderboard.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const BATTLES = Number(process.env.ARENA_BENCH_BATTLES ?? 100_000);
const RUNS = Number(process.env.ARENA_BENCH_RUNS ?? 7);
let browser;
let server;

before(async () => {
  server = await serveStatic(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

test(`worker: ${BATTLES} battles, 100 models, 100 bootstrap rounds`, async (t) => {
  const { page } = await pageFor(t, browser);
  await new Shell(page, server.url).open('#/about');
  // Talks to the worker module directly, with the page's own protocol (serde JSON text).
  const result = await page.evaluate(({ battles, runs }) => new Promise((resolve, reject) => {
    const w = new Worker('./leaderboard_worker_loader.js');
    w.onerror = (e) => reject(new Error(e.message || 'worker failed to load'));
    w.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg === 'Ready') {
        w.postMessage({ msg: JSON.stringify({ Bench: { id: 1, battles, models: 100, rounds: 100, runs: runs + 1 } }) });
      } else if (msg.Bench) {
        w.terminate();
        resolve(msg.Bench);
      }
    };
  }), { battles: BATTLES, runs: RUNS });
  assert.equal(result.models, 100);
  const [warm, ...timed] = result.compute_ms;
  console.log(`# worker bench: ${BATTLES} battles, 100 models, 100 bootstrap rounds`);
  console.log(`#   generate ${result.generate_ms.toFixed(0)} ms; first run ${warm.toFixed(0)} ms`);
  console.log(`#   runs (ms): ${timed.map((t) => t.toFixed(0)).join(', ')}`);
  console.log(`#   median ${median(timed).toFixed(0)} ms, min ${Math.min(...timed).toFixed(0)} ms, max ${Math.max(...timed).toFixed(0)} ms`);
});

test(`page: ${BATTLES} imported votes ranked with bootstrap intervals`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arena-bench-'));
  const file = join(dir, 'bench.jsonl');
  const lines = [];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let t = 0; t < BATTLES; t++) {
    const a = Math.floor(rand() * 100);
    let b = Math.floor(rand() * 99);
    if (b >= a) b += 1;
    const p = 1 / (1 + Math.exp((b - a) / 50));
    const winner = rand() < 0.1 ? 'tie' : rand() < p ? 'model_a' : 'model_b';
    lines.push(JSON.stringify({ id: `bench-${t}`, question_id: `q${t}`, model_a: `model-${a}`, model_b: `model-${b}`, winner, tstamp: t }));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, server.url);
  await shell.open('#/data');
  const t0 = Date.now();
  await new DataPage(page).import(file);
  const importMs = Date.now() - t0;
  assert.match(await page.getByTestId('import-status').textContent(), new RegExp(`: ${BATTLES} new votes`));
  await shell.open('#/leaderboard');
  const lb = new LeaderboardPage(page);
  await lb.waitForResult(0, 120_000);
  const status = async () => (await page.getByTestId('leaderboard-status').textContent()).match(/Ranked in (\d+) ms \(votes read in (\d+) ms[:)]/).slice(1).map(Number);
  const [sandwich, read] = await status();
  await lb.after(() => page.getByTestId('filter-ci').selectOption('bootstrap'));
  const boot = [(await status())[0]];
  for (let i = 0; i < 4; i++) {
    // Toggling a filter that excludes nothing here recomputes from the cached votes.
    await lb.after(() => page.getByTestId('filter-flagged').setChecked(i % 2 === 0));
    boot.push((await status())[0]);
  }
  console.log(`# page bench: ${BATTLES} votes imported in ${importMs} ms (check + write)`);
  console.log(`#   IndexedDB read + decode ${read} ms; sandwich ranking ${sandwich} ms`);
  console.log(`#   bootstrap-100 ranking (ms): ${boot.join(', ')}; median ${median(boot)} ms`);
  assert.equal(await page.getByTestId('leaderboard-row').count(), 100);

  // Efficient pairing asks the shared worker for ratings after every vote: the first answer
  // reads every vote; after one more vote is stored, the worker reads only that one.
  const pairing = await page.evaluate(() => new Promise((resolve, reject) => {
    const w = new Worker('./leaderboard_worker_loader.js');
    const asked = new Map();
    const ask = (id, version) => {
      asked.set(id, performance.now());
      w.postMessage({ msg: JSON.stringify({ Ratings: { id, db: 'arena', votes_version: version } }) });
    };
    // One more vote, written the way the app writes it (the worker's own import: the vote and
    // its rating row in one transaction).
    const storeOne = () => {
      const record = { id: 'bench-new', model_a: 'model-0', model_b: 'model-1', winner: 'model_a', tstamp: 1e9 };
      const file = new File([JSON.stringify(record) + '\n'], 'one.jsonl');
      w.postMessage({ msg: JSON.stringify({ Import: { id: 100, db: 'arena', skip_bad_lines: false } }), file });
    };
    const ms = {};
    w.onerror = (e) => reject(new Error(e.message || 'worker failed to load'));
    w.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg === 'Ready') return ask(1, 1);
      if (msg.Progress) return;
      if (msg.Imported) return ask(2, 2);
      if (!msg.Ratings) return reject(new Error(e.data));
      const { id, rows } = msg.Ratings;
      ms[id] = performance.now() - asked.get(id);
      if (id === 1) {
        storeOne();
      } else {
        const battles = rows.reduce((n, r) => n + r.battles, 0) / 2;
        w.terminate();
        resolve({ first: ms[1], after: ms[2], battles });
      }
    };
  }));
  console.log(`#   pairing ratings: first ${pairing.first.toFixed(0)} ms (reads ${BATTLES} votes); after one more vote ${pairing.after.toFixed(0)} ms`);
  assert.equal(pairing.battles, BATTLES + 1, 'the new vote is counted');
  assert.deepEqual(errors, []);
});
