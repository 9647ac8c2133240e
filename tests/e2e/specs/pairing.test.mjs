// Efficient pairing ranks the stored votes in the data worker, off the main thread: a pair
// that is already well measured is (almost) never drawn again, and a worker that cannot
// start falls back to the weighted draw without holding up the battle.
//
// A battle waits for the worker's ratings at most RATINGS_TIMEOUT (2 s of the page's clock),
// then draws by weight. These specs pause the page's clock (Playwright's fake clock; the
// worker keeps real time), so that limit cannot run out: what they see does not depend on
// how fast the machine ranks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { until } from '../support/until.mjs';
import { Shell } from '../pages/shell.mjs';
import { ArenaPage } from '../pages/arena.mjs';
import { DataPage } from '../pages/data.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const WORKER = '/leaderboard_worker_loader.js';
const IDS = ['alpha', 'beta', 'gamma'];
let browser;
let provider;

function arenaJson() {
  return JSON.stringify({
    schema: 1,
    arena_id: 'e2e',
    title: 'E2E arena',
    efficient_pairing: true,
    contestants: IDS.map((id) => ({
      id, name: `Model ${id}`, provider: 'openai-compatible', preset: 'vllm',
      base_url: `${provider.url}/vllm/v1`, model: 'slow-5',
    })),
  });
}

/**
 * 6,000 votes between alpha and beta, half won by each: that pair's order is well known, so
 * efficient pairing draws it about once in 8,000 draws (with 600 votes, once in 800, which
 * would fail this spec by chance about once in 70 runs).
 */
function knownPairFile() {
  const dir = mkdtempSync(join(tmpdir(), 'arena-pairing-'));
  const path = join(dir, 'known-pair.jsonl');
  const lines = [];
  for (let t = 0; t < 6000; t++) {
    const prompt = [{ role: 'user', content: `Question ${t}` }];
    lines.push(JSON.stringify({
      question_id: `q-${t}`, model_a: 'alpha', model_b: 'beta',
      winner: t % 2 ? 'model_a' : 'model_b', judge: 'judge-1',
      conversation_a: prompt, conversation_b: prompt, turn: 1, anony: true,
      language: 'English', tstamp: 1_700_000_000 + t,
    }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** The battle the page last drew, from the setting it restores: { id, pair } or null. */
async function currentBattle(page) {
  return page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('arena');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('settings').objectStore('settings').get('current_battle');
      get.onerror = () => fail(get.error);
      get.onsuccess = () => {
        open.result.close();
        const c = get.result ? JSON.parse(get.result.json) : null;
        ok(c ? { id: c.id, pair: [c.a, c.b].sort().join(' vs ') } : null);
      };
    };
  }));
}

/** Waits until a battle other than `previous` is drawn; resolves to it. */
async function nextBattle(page, previous) {
  return until('a new battle to be drawn', async () => {
    const c = await currentBattle(page);
    return c && c.id !== previous?.id ? c : null;
  });
}

/**
 * Stops the page's clock a moment ahead of its time: from then on its timers fire only if
 * the test moves it. (If the page's time has already passed that moment, try again.)
 */
async function pauseClock(page) {
  for (;;) {
    const soon = await page.evaluate(() => Date.now() + 1000);
    try {
      await page.clock.pauseAt(soon);
      return;
    } catch (e) {
      if (!/to the past/.test(e.message)) throw e;
    }
  }
}

before(async () => {
  provider = await startTestServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await provider?.close();
});

test('efficient pairing ranks in the worker and avoids the pair it already knows', async (t) => {
  const site = await serveStatic(DIST, '127.0.0.1', 0, { overrides: { '/arena.json': { body: arenaJson() } } });
  t.after(() => site.close());
  const { page, errors } = await pageFor(t, browser);
  await page.clock.install();
  const shell = new Shell(page, site.url);
  await shell.open('#/data');
  const data = new DataPage(page);
  await data.ready();
  await data.import(knownPairFile());
  assert.match(await data.status(), /6000 new votes|6,000 new votes/);

  await shell.open('#/');
  const arena = new ArenaPage(page);
  await arena.ready();
  const workersBefore = site.requests.filter((p) => p === WORKER).length;
  // Weighted pairing would draw alpha vs beta one time in three; efficient pairing about
  // one time in 8,000, since both are rated within a few points and gamma not at all.
  // The first draw starts the worker, which reads and ranks the votes; with the clock
  // paused every draw waits for its answer, however long that takes.
  await pauseClock(page);
  const draws = [];
  let battle = null;
  for (let i = 0; i < 12; i++) {
    await arena.send(`Prompt ${i}`);
    battle = await nextBattle(page, battle);
    draws.push(battle.pair);
    await page.getByTestId('new-round').click();
  }
  assert.ok(!draws.includes('alpha vs beta'), `the known pair was drawn: ${draws}`);
  assert.equal(site.requests.filter((p) => p === WORKER).length, workersBefore + 1,
    'the battle page starts one shared worker for all its draws');
  assert.deepEqual(errors, []);
});

test('a worker that cannot load falls back to the weighted draw at once', async (t) => {
  const site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: {
      '/arena.json': { body: arenaJson() },
      [WORKER]: { status: 404, type: 'text/plain', body: 'not found' },
    },
  });
  t.after(() => site.close());
  const { page, errors } = await pageFor(t, browser);
  await page.clock.install();
  const shell = new Shell(page, site.url);
  await shell.open('#/');
  const arena = new ArenaPage(page);
  await arena.ready();
  // With the page's clock paused the battle's wait for the ratings cannot time out: a draw
  // now is one that did not wait for it.
  await pauseClock(page);
  await arena.send('Hello');
  const battle = await nextBattle(page, null);
  assert.ok(battle.pair, 'drawn while the clock stood still');
  assert.ok(site.requests.includes(WORKER), 'the worker was asked for');
  await page.clock.resume();
  await arena.waitForJudging();
  // Chromium logs the 404 itself; nothing else went wrong (handling the failed load threw
  // once, so the battle waited for the time limit instead).
  assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
});
