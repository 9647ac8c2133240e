// Shared arenas end to end: the real `arena serve` on loopback, two browser contexts (two
// judges, two IndexedDBs) on two sites, votes pushed and pulled through the server, the same
// leaderboard on both; then a judge who goes offline, votes, reloads, and catches up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { startArenaServe } from '../support/arena-serve.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { until } from '../support/until.mjs';
import { Shell } from '../pages/shell.mjs';
import { ArenaPage } from '../pages/arena.mjs';
import { LeaderboardPage } from '../pages/leaderboard.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
let browser;
let provider;
let server;
// Site A's config names the sync server; site B's does not (its judge types the address).
let siteA;
let siteB;

function arenaJson(withSync) {
  const contestants = [
    { id: 'alpha-seven', name: 'Alpha Seven', provider: 'openai-compatible', preset: 'vllm',
      base_url: `${provider.url}/vllm/v1`, model: 'echo' },
    { id: 'beta-nine', name: 'Beta Nine', provider: 'openai-compatible', preset: 'llamacpp',
      base_url: `${provider.url}/llamacpp/v1`, model: 'echo' },
  ];
  return JSON.stringify({
    schema: 1, arena_id: 'shared', title: 'Shared arena', efficient_pairing: false, contestants,
    ...(withSync ? { sync_url: server.url } : {}),
  });
}

/** arena.json written when asked, since the server's address is known only after the sites'. */
const configOf = (withSync) => (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(arenaJson(withSync));
};

before(async () => {
  provider = await startTestServer();
  browser = await launch();
  siteA = await serveStatic(DIST, '127.0.0.1', 0, { overrides: { '/arena.json': configOf(true) } });
  siteB = await serveStatic(DIST, '127.0.0.1', 0, { overrides: { '/arena.json': configOf(false) } });
  server = await startArenaServe({ origins: [siteA.url, siteB.url] });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await provider?.close();
  await siteA?.close();
  await siteB?.close();
});

const indicator = (page) => page.getByTestId('sync-status');

/** Waits until the header's indicator is in `state` (and, if given, has `pending` votes queued). */
async function waitForSync(page, state, pending) {
  try {
    await page.waitForFunction(([state, pending]) => {
      const el = document.querySelector('[data-testid="sync-status"]');
      return el && el.dataset.state === state && (pending === null || el.dataset.pending === String(pending));
    }, [state, pending ?? null], { timeout: 30_000 });
  } catch (e) {
    const now = await indicator(page).evaluate((el) => `${el.dataset.state}: ${el.textContent}`).catch(() => 'absent');
    throw new Error(`sync-status is ${now}, wanted ${state}${pending == null ? '' : ` with ${pending} pending`}: ${e.message}`);
  }
}

/** One blind battle to the vote; returns the two names revealed. */
async function battle(page, shell, prompt, vote) {
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.send(prompt);
  await arena.waitForJudging();
  await arena.vote(vote).click();
  await arena.modelName('a').waitFor();
}

async function board(page, shell) {
  await shell.open('#/leaderboard');
  const lb = new LeaderboardPage(page);
  await lb.waitForResult();
  return (await lb.rows()).map(({ model, rating, cells }) => ({ model, rating, cells }));
}

test('two judges sync through the server and see the same leaderboard', async (t) => {
  const a = await pageFor(t, browser, { acceptDownloads: true });
  const b = await pageFor(t, browser);
  const shellA = new Shell(a.page, siteA.url);
  const shellB = new Shell(b.page, siteB.url);

  // A: the config names the server; without a token the indicator says what is missing.
  await shellA.open('#/data');
  await waitForSync(a.page, 'error');
  assert.match(await indicator(a.page).textContent(), /no token/);
  await until('the address field shows the config\'s server', async () =>
    (await a.page.getByTestId('sync-url').inputValue()) === server.url);
  await a.page.getByTestId('sync-token').fill(server.token);
  await a.page.getByTestId('sync-save').click();
  await waitForSync(a.page, 'synced');
  // The token field is cleared once stored; the token is in no URL.
  assert.equal(await a.page.getByTestId('sync-token').inputValue(), '');
  assert.ok(!a.page.url().includes(server.token));

  // B: no server in its config, so no indicator; the server is on another origin than the
  // page, so the judge must confirm before any vote goes there.
  await shellB.open('#/data');
  assert.equal(await indicator(b.page).count(), 0);
  await b.page.getByTestId('sync-url').fill(`${server.url}/`);
  await b.page.getByTestId('sync-token').fill(server.token);
  await b.page.getByTestId('sync-save').click();
  await b.page.getByTestId('sync-consent').waitFor();
  assert.equal(await indicator(b.page).count(), 0, 'nothing is synced before the judge confirms');
  await b.page.getByTestId('sync-confirm').click();
  await waitForSync(b.page, 'synced');

  await battle(a.page, shellA, 'Judge A asks', 'a');
  await battle(b.page, shellB, 'Judge B asks', 'b');
  await until('both votes on the server', async () => (await server.votes()).length === 2);
  const stored = await server.votes();
  assert.equal(new Set(stored.map((v) => v.judge)).size, 2, 'two judges');
  assert.deepEqual(stored.map((v) => v.winner).sort(), ['model_a', 'model_b']);
  // Neither config asks for conversations, so only verdicts went.
  for (const v of stored) {
    assert.deepEqual([v.conversation_a ?? [], v.conversation_b ?? []], [[], []]);
  }

  // Each pulls the other's vote (Sync now, rather than waiting for the next poll).
  for (const [page, shell] of [[a.page, shellA], [b.page, shellB]]) {
    await shell.open('#/data');
    await page.getByTestId('sync-now').click();
    await waitForSync(page, 'synced', 0);
  }
  const boardA = await board(a.page, shellA);
  const boardB = await board(b.page, shellB);
  assert.equal(boardA.length, 2);
  assert.deepEqual(boardA, boardB);
  // Both votes count on both sides: each model has 2 battles.
  for (const row of boardA) assert.ok(row.cells.includes('2'), JSON.stringify(row));
  await a.page.screenshot({ path: `${SHOTS}/sync-leaderboard.png`, fullPage: true });

  // A's export holds both votes (A's own with its conversation) and no token.
  await shellA.open('#/data');
  await a.page.screenshot({ path: `${SHOTS}/sync-data.png`, fullPage: true });
  const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.getByTestId('export-button').click()]);
  const text = readFileSync(await download.path(), 'utf8');
  assert.equal(text.trim().split('\n').length, 2);
  assert.ok(!text.includes(server.token));
  assert.ok(!server.log().includes(server.token), 'the server logs no token');
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors.filter((e) => !/net::ERR/.test(e)), []);
});

test('a judge who goes offline queues votes across a reload, then catches up', async (t) => {
  const c = await pageFor(t, browser);
  const shell = new Shell(c.page, siteA.url);
  await shell.open('#/data');
  await c.page.getByTestId('sync-token').fill(server.token);
  await c.page.getByTestId('sync-save').click();
  await waitForSync(c.page, 'synced', 0);
  const before = (await server.votes()).length;

  // The answers arrive online; the vote is cast offline.
  const arena = new ArenaPage(c.page);
  await shell.open('#/');
  await arena.send('Offline judge asks');
  await arena.waitForJudging();
  await c.context.setOffline(true);
  await arena.vote('tie').click();
  await arena.modelName('a').waitFor();
  await waitForSync(c.page, 'offline', 1);
  assert.match(await indicator(c.page).textContent(), /Offline · 1 pending/);
  await c.page.screenshot({ path: `${SHOTS}/sync-offline.png` });

  // Back online but the server still unreachable: the queue survives a reload.
  const blocked = `${server.url}/**`;
  await c.context.route(blocked, (route) => route.abort('connectionrefused'));
  await c.context.setOffline(false);
  await c.page.reload();
  await waitForSync(c.page, 'offline', 1);
  assert.equal((await server.votes()).length, before, 'nothing arrived while unreachable');

  // The server is reachable again: Sync now sends the queued vote once.
  await c.context.unroute(blocked);
  await shell.open('#/data');
  await c.page.getByTestId('sync-now').click();
  await waitForSync(c.page, 'synced', 0);
  const after = await server.votes();
  assert.equal(after.length, before + 1);
  assert.equal(after.filter((v) => v.winner === 'tie').length, 1);
  // Failed fetches log network errors in the console; nothing else may.
  assert.deepEqual(c.errors.filter((e) => !/net::ERR|Failed to load resource/.test(e)), []);
});

test('a read-only judge pulls ten thousand votes in pages; its own vote waits with the reason', async (t) => {
  const N = 10_000;
  const models = ['m-0', 'm-1', 'm-2', 'm-3', 'm-4'];
  const seeded = Array.from({ length: N }, (_, i) => ({
    id: `seed-${String(i).padStart(5, '0')}`,
    arena_id: 'shared',
    model_a: models[i % 5],
    model_b: models[(i + 1 + (i % 3)) % 5], // never model_a: the offset is 1 to 3
    winner: ['model_a', 'model_b', 'tie', 'tie (bothbad)'][i % 4],
    judge: `judge-${i % 13}`,
    tstamp: 1_700_000_000 + i,
  }));
  for (let i = 0; i < N; i += 1000) await server.push(seeded.slice(i, i + 1000));
  const total = (await server.votes()).length;

  const d = await pageFor(t, browser);
  const shell = new Shell(d.page, siteA.url);
  await shell.open('#/data');
  await d.page.getByTestId('sync-token').fill(server.readToken);
  const start = Date.now();
  await d.page.getByTestId('sync-save').click();
  await waitForSync(d.page, 'synced', 0);
  const seconds = (Date.now() - start) / 1000;
  console.log(`[perf] pulled ${total} votes in ${Math.ceil(total / 1000)} pages into IndexedDB in ${seconds.toFixed(2)} s (${Math.round(total / seconds)} votes/s)`);
  assert.match(await d.page.getByTestId('sync-detail').textContent(), /Synced/);
  const stored = await d.page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('arena');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const count = open.result.transaction('votes').objectStore('votes').count();
      count.onsuccess = () => ok(count.result);
    };
  }));
  assert.equal(stored, total, 'every vote pulled exactly once');
  const rows = await board(d.page, shell);
  assert.ok(models.every((m) => rows.some((r) => r.model === m)), JSON.stringify(rows.map((r) => r.model)));

  // The read token may not push: the vote stays queued and the indicator says why.
  await battle(d.page, shell, 'Read-only judge asks', 'a');
  await waitForSync(d.page, 'error', 1);
  assert.match(await indicator(d.page).textContent(), /token refused: HTTP 401/);
  assert.equal((await server.votes()).length, total);
});
