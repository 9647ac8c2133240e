// Many scripted battles through the real battle page (keyboard only), then the leaderboard
// must match the native CLI on the exported file. Prints how responsive the page stayed.
//
// ARENA_SCALE_BATTLES sets the count (default 150 in `make test`; `make scale` runs 2,000).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { cliLeaderboard } from '../support/cli.mjs';
import { Shell } from '../pages/shell.mjs';
import { LeaderboardPage } from '../pages/leaderboard.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const BATTLES = Number(process.env.ARENA_SCALE_BATTLES ?? 150);
let browser;
let provider;
let site;

before(async () => {
  provider = await startTestServer();
  browser = await launch();
  const flavors = ['vllm', 'llamacpp', 'lmstudio', 'vllm'];
  const contestants = ['ant', 'bee', 'cat', 'dog'].map((id, i) => ({
    id,
    name: `Contestant ${id}`,
    provider: 'openai-compatible',
    preset: flavors[i],
    base_url: `${provider.url}/${flavors[i]}/v1`,
    model: i % 2 ? 'echo' : 'tokens-6',
  }));
  site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: JSON.stringify({ schema: 1, arena_id: 'scale', efficient_pairing: true, contestants }) } },
  });
});

after(async () => {
  await browser?.close();
  await provider?.close();
  await site?.close();
});

/** A seeded stream of verdict keys: the judge's "taste" is fixed, so ratings are stable. */
function* verdicts(seed) {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const u = x / 2147483648;
    yield u < 0.45 ? '1' : u < 0.85 ? '2' : u < 0.95 ? '3' : '4';
  }
}

test(`${BATTLES} scripted battles, then the leaderboard matches the CLI on the export`, { timeout: 3_600_000 }, async (t) => {
  const { page, errors } = await pageFor(t, browser, { acceptDownloads: true });
  const shell = new Shell(page, site.url);
  await shell.open('#/');
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
  });
  const input = page.getByTestId('prompt-input');
  const keys = verdicts(7);
  const started = Date.now();
  const cycle = [];
  for (let i = 0; i < BATTLES; i++) {
    const t0 = Date.now();
    await input.fill(`Battle number ${i}: say something`);
    await input.press('Enter');
    await page.waitForFunction(() => !document.querySelector('[data-testid="vote-a"]')?.disabled, null, { timeout: 20_000 });
    await page.keyboard.press(keys.next().value);
    await page.getByTestId('model-name-a').waitFor();
    await page.keyboard.press('n');
    await page.waitForFunction(() => !document.querySelector('[data-testid="model-name-a"]'));
    cycle.push(Date.now() - t0);
  }
  const elapsed = (Date.now() - started) / 1000;
  const longTasks = await page.evaluate(() => window.__longTasks);
  cycle.sort((a, b) => a - b);
  console.log(`scale: ${BATTLES} battles in ${elapsed.toFixed(1)} s; battle cycle median ${cycle[cycle.length >> 1]} ms, p95 ${cycle[Math.floor(cycle.length * 0.95)]} ms; long tasks: ${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`);

  // Every vote is stored.
  await shell.open('#/leaderboard');
  const board = new LeaderboardPage(page);
  await board.waitForResult(0, 60_000);
  assert.match(await page.getByTestId('vote-count').textContent(), new RegExp(`^${BATTLES} votes stored\\.$`));

  // The export ranked by the native CLI gives the page's numbers.
  await shell.open('#/data');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()]);
  const dir = mkdtempSync(join(tmpdir(), 'arena-scale-'));
  const file = join(dir, 'votes.jsonl');
  writeFileSync(file, readFileSync(await download.path()));
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, BATTLES);
  const cli = cliLeaderboard([file]);
  await shell.open('#/leaderboard');
  await board.waitForResult(0, 60_000);
  const rows = await board.rows();
  assert.equal(rows.length, cli.length);
  for (const c of cli) {
    const r = rows.find((x) => x.model === c.model);
    assert.ok(r, `${c.model} on the page`);
    assert.ok(Math.abs(r.rating - c.rating) <= 0.01, `${c.model}: page ${r.rating} vs CLI ${c.rating}`);
    assert.equal(r.rank, c.rank_ub, `${c.model} rank`);
  }
  assert.deepEqual(errors, []);
});
