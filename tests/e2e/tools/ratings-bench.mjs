// Measurement, not part of the suite (issue 12's browser figures): imports a large vote file
// on the Data page of the release build, then times the Leaderboard page's first answer after
// a reload and its answer after one more vote, and prints the peak memory of the tab.
//
//     node tests/e2e/tools/ratings-bench.mjs VOTES.jsonl [--runs 3] [--settle SECONDS] [--profile DIR]
//
// `--profile DIR` keeps the browser profile in DIR; run again with the same DIR and the import
// is skipped (the votes are already stored there), so later builds are timed on the same data.
//
// Generate FastChat clean_battle-shaped votes with crates/arena-cli/benches/read_path.py's
// `write_fastchat` (e.g. 1,700,000 records). Needs `make build` and
// `cargo build -p arena-testserver` (the vote's two contestants answer from loopback).
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchProfile } from '../support/browser.mjs';
import { ArenaPage } from '../pages/arena.mjs';

const file = process.argv[2];
if (!file) throw new Error('usage: ratings-bench.mjs VOTES.jsonl [--runs N]');
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
// Seconds to wait after the import before timing (the browser's storage engine compacts what
// was just written, and reads wait for it meanwhile).
const settleAt = process.argv.indexOf('--settle');
const SETTLE = settleAt > 0 ? Number(process.argv[settleAt + 1]) : 0;
const provider = await startTestServer();
const contestants = [
  { id: 'bench-a', name: 'Bench A', provider: 'openai-compatible', preset: 'vllm', base_url: `${provider.url}/vllm/v1`, model: 'echo' },
  { id: 'bench-b', name: 'Bench B', provider: 'openai-compatible', preset: 'vllm', base_url: `${provider.url}/vllm/v1`, model: 'echo' },
];
// A kept profile's votes belong to the page's origin: the same port each time.
const server = await serveStatic('dist', '127.0.0.1', process.argv.includes('--profile') ? 47613 : 0, {
  overrides: { '/arena.json': { body: JSON.stringify({ schema: 1, arena_id: 'bench', contestants }) } },
});
// A profile on disk, as a judge's browser has: a fresh context is off the record, with an
// in-memory IndexedDB whose quota a million votes exceed.
const profileAt = process.argv.indexOf('--profile');
const kept = profileAt > 0 ? process.argv[profileAt + 1] : null;
const reuse = kept !== null && existsSync(join(kept, 'imported'));
const profile = kept ?? mkdtempSync(join(tmpdir(), 'arena-bench-profile-'));
const context = await launchProfile(profile);
const page = context.pages()[0] ?? await context.newPage();

// Peak resident memory per Chromium process (Linux /proc), sampled every 200 ms.
const peaks = new Map();
const sample = () => {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium')) continue;
      const kb = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0);
      const kind = (cmd.match(/--type=([a-z-]+)/) ?? [null, 'browser'])[1];
      const key = `${kind} ${pid}`;
      peaks.set(key, Math.max(peaks.get(key) ?? 0, kb));
    } catch { /* gone */ }
  }
};
const timer = setInterval(sample, 200);
const mib = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Waits until the Leaderboard shows an answer newer than `after`; returns the status line. */
async function answered(after = 0) {
  await page.waitForFunction((after) => {
    const el = document.querySelector('[data-testid="leaderboard"]');
    return (el && el.dataset.state === 'ready' && Number(el.dataset.generation) > after)
      || document.querySelector('[data-testid="error-notice"]');
  }, after, { timeout: 600_000, polling: 'raf' });
  return page.getByTestId('leaderboard-status').textContent().catch(() => '');
}

const mb = statSync(file).size / 2 ** 20;
let t;
let importPeaks = new Map();
if (reuse) {
  console.log(`[perf] the votes of ${file} are already stored in ${kept}: no import`);
} else {
  await page.goto(new URL('#/data', server.url).href);
  await page.getByTestId('import-input').waitFor({ state: 'attached' });
  t = Date.now();
  await page.getByTestId('import-input').setInputFiles(file);
  await page.waitForFunction(() => {
    const status = document.querySelector('[data-testid="import-status"]')?.textContent ?? '';
    return status.startsWith('Imported') || document.querySelector('[data-testid="error-notice"]');
  }, null, { timeout: 3_600_000, polling: 1000 });
  const imported = (Date.now() - t) / 1000;
  const failed = await page.getByTestId('error-notice').textContent().catch(() => null);
  if (failed) throw new Error(`the import failed: ${failed}`);
  console.log(`[perf] import of ${file} (${mb.toFixed(0)} MiB): ${imported.toFixed(1)} s — ${await page.getByTestId('import-status').textContent()}`);
  importPeaks = new Map(peaks);
  if (SETTLE > 0) {
    console.log(`[perf] waiting ${SETTLE} s for the storage engine to settle`);
    await new Promise((r) => setTimeout(r, SETTLE * 1000));
  }
  if (kept) writeFileSync(join(kept, 'imported'), file);
}

const reloads = [];
await page.goto(new URL('#/leaderboard', server.url).href);
console.log(`[perf] first ranking after the import: ${await answered()}`);
for (let i = 0; i < RUNS; i++) {
  t = performance.now();
  await page.reload();
  const status = await answered();
  reloads.push(performance.now() - t);
  console.log(`[perf] reload -> first answer ${reloads.at(-1).toFixed(0)} ms (${status})`);
}

const votes = [];
const arena = new ArenaPage(page);
for (let i = 0; i < RUNS; i++) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Arena', exact: true }).click();
  await arena.send(`bench vote ${i}`);
  await arena.waitForJudging();
  await arena.vote('a').click();
  await arena.modelName('a').waitFor();
  t = performance.now();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leaderboard', exact: true }).click();
  const status = await answered();
  votes.push(performance.now() - t);
  console.log(`[perf] one more vote -> Leaderboard answer ${votes.at(-1).toFixed(0)} ms (${status})`);
}
clearInterval(timer);
sample();
console.log(`[perf] medians: reload -> first answer ${median(reloads).toFixed(0)} ms; one more vote -> answer ${median(votes).toFixed(0)} ms`);
const renderer = (m) => Math.max(0, ...[...m].filter(([k]) => k.startsWith('renderer')).map(([, v]) => v));
console.log(`[perf] peak renderer (tab and its workers) RSS: ${mib(renderer(importPeaks))} during the import, ${mib(renderer(peaks))} overall`);
for (const [key, kb] of peaks) console.log(`  ${key}: peak ${mib(kb)}`);
await context.close();
if (!kept) rmSync(profile, { recursive: true, force: true });
await server.close();
await provider.close();
