// Local models end to end, with the real GGUF files (scripts/fetch-models.sh puts them in
// public/models, the build copies them beside the app): a keyless blind battle on the shipped
// config, streamed from the two workers, voted, revealed and ranked; answers equal to the
// native engine's (`arena llm generate`) token for token; stop and regenerate; damaged and
// missing files failing plainly; and a reload that reads the models from the browser's cache
// instead of downloading them again.
//
// Answers are greedy (temperature 0) and short (24 tokens), so they are deterministic; what
// is checked never depends on timing: progress is recorded by a MutationObserver, the end of
// an answer is the vote buttons enabling, and downloads are counted at the static server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { cliGenerate } from '../support/cli.mjs';
import { Shell } from '../pages/shell.mjs';
import { ArenaPage } from '../pages/arena.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
const MODELS = 'public/models';
const SMOL = 'SmolLM2-135M-Instruct.Q4_1.gguf';
const GEMMA = 'gemma-3-270m-q4_k_m.gguf';
const SIZES = { [SMOL]: 98_362_432, [GEMMA]: 253_113_024 };
const MAX_TOKENS = 24;
// Loading two models and decoding on a shared two-core machine takes a while; these limits
// only guard against a hang.
const LONG = 600_000;
let browser;

/** The shipped config's contestants, greedy and short. */
function shippedContestants() {
  const shipped = JSON.parse(readFileSync('public/arena.json', 'utf8'));
  return shipped.contestants.map((c) => ({ ...c, params: { ...c.params, temperature: 0, max_tokens: MAX_TOKENS } }));
}

function arenaJson(contestants, extra = {}) {
  return JSON.stringify({ schema: 1, arena_id: 'e2e-local', title: 'Local arena', efficient_pairing: false, contestants, ...extra });
}

async function serveWith(t, contestants, overrides = {}) {
  const site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: arenaJson(contestants) }, ...overrides },
  });
  t.after(() => site.close());
  return site;
}

/** How often the server was asked for a model file. */
function downloads(site, file) {
  return site.requests.filter((p) => p === `/models/${file}`).length;
}

const answers = new Map();
/** The native engine's greedy answer, as the CLI prints it. */
function reference(file, prompt) {
  const key = `${file}\n${prompt}`;
  if (!answers.has(key)) {
    const t0 = Date.now();
    answers.set(key, cliGenerate(`${MODELS}/${file}`, prompt, ['--max-tokens', String(MAX_TOKENS), '--temperature', '0']));
    console.log(`# arena llm generate ${file}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return answers.get(key);
}

/**
 * Records, from the first paint on, every state a loading bar shows (a MutationObserver sees
 * each change, however short-lived), and the local-model timings the page logs.
 */
async function recordLoading(page) {
  await page.addInitScript(() => {
    window.__loads = [];
    const seen = (el) => window.__loads.push({
      testid: el.dataset.testid, loaded: Number(el.dataset.loaded), total: el.dataset.total,
      source: el.dataset.source, phase: el.dataset.phase,
      label: el.querySelector('.load-label')?.textContent ?? '',
    });
    new MutationObserver((records) => {
      for (const r of records) {
        const targets = r.type === 'attributes' ? [r.target] : [...r.addedNodes];
        for (const n of targets) {
          if (n.nodeType !== 1) continue;
          const bars = n.matches?.('.load-progress') ? [n] : [...n.querySelectorAll?.('.load-progress') ?? []];
          bars.forEach(seen);
        }
        if (r.type === 'characterData' || r.type === 'childList') {
          const bar = (r.target.nodeType === 1 ? r.target : r.target.parentElement)?.closest?.('.load-progress');
          if (bar) seen(bar);
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  const timings = [];
  page.on('console', (m) => { if (m.text().startsWith('[local model]')) timings.push(m.text()); });
  return timings;
}

/** The stored vote records, oldest first. */
async function storedVotes(page) {
  return page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('arena');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const r = db.transaction('votes').objectStore('votes').getAll();
      r.onsuccess = () => { db.close(); ok(r.result.map((v) => JSON.parse(v.json)).sort((a, b) => a.tstamp - b.tstamp)); };
      r.onerror = () => { db.close(); fail(r.error); };
    };
  }));
}

/** The model cache's keys (absolute URLs). */
function cachedUrls(page) {
  return page.evaluate(async () => (await (await caches.open('arena-models-v1')).keys()).map((r) => r.url));
}

/** A full-page screenshot from the top (the sticky header stays where it belongs). */
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

function fileOf(contestants, id) {
  return contestants.find((c) => c.id === id).gguf_url.split('/').pop();
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  for (const f of [SMOL, GEMMA]) {
    if (!existsSync(`${DIST}/models/${f}`)) throw new Error(`${DIST}/models/${f} missing: run scripts/fetch-models.sh, then build`);
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('a keyless blind battle between local models: loading, streaming, vote, reveal, leaderboard', { timeout: LONG }, async (t) => {
  const contestants = shippedContestants();
  const site = await serveWith(t, contestants);
  const { page, errors } = await pageFor(t, browser);
  const timings = await recordLoading(page);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  const PROMPT = 'What is the capital of France?';
  await arena.send(PROMPT);

  // A model loads on each side, with a bar in bytes and percent.
  await page.locator('.load-progress').first().waitFor({ timeout: LONG });
  await shot(page, 'local-battle-loading');
  await arena.waitForJudging(LONG);
  await shot(page, 'local-battle-answered');
  const loads = await page.evaluate(() => window.__loads);
  for (const side of ['a', 'b']) {
    const mine = loads.filter((l) => l.testid === `load-progress-${side}`);
    const reading = mine.filter((l) => l.phase === 'reading');
    assert.ok(reading.length > 0, `side ${side} showed its download`);
    const total = Number(reading[0].total);
    assert.ok(Object.values(SIZES).includes(total), `side ${side}: total ${total} is a model's size`);
    assert.equal(reading[0].source, 'network');
    assert.ok(reading.every((l, i) => i === 0 || l.loaded >= reading[i - 1].loaded), 'bytes only grow');
    assert.match(reading.at(-1).label, /^Downloading the model: \d+\.\d MB of \d+\.\d MB \(\d+%\)$/);
    assert.ok(mine.some((l) => l.phase === 'preparing'), `side ${side} showed the preparing step`);
  }
  assert.equal(await page.locator('.load-progress').count(), 0, 'the bars are gone once the answers stream');

  // Anonymity: before the vote, no name, id or file name anywhere in the page.
  const html = await page.content();
  for (const c of contestants) {
    for (const secret of [c.name, c.id, c.gguf_url.split('/').pop(), c.model]) {
      assert.ok(!html.includes(secret), `DOM leaks ${secret}`);
      assert.ok(!(await page.title()).includes(secret), `title leaks ${secret}`);
    }
  }
  assert.ok(!page.url().includes('gguf'));

  await arena.vote('a').click();
  await arena.modelName('a').waitFor();
  const revealed = [await arena.modelName('a').textContent(), await arena.modelName('b').textContent()];
  for (const name of revealed) assert.ok(contestants.some((c) => c.name === name), `${name} is a contestant`);
  await shot(page, 'local-battle-voted');

  // Each answer is the native engine's greedy answer for that model, exactly.
  const [vote] = await storedVotes(page);
  assert.equal(vote.winner, 'model_a');
  for (const [model, conv] of [[vote.model_a, vote.conversation_a], [vote.model_b, vote.conversation_b]]) {
    assert.equal(conv[0].content, PROMPT);
    assert.equal(conv[1].content, reference(fileOf(contestants, model), PROMPT), `${model}'s answer`);
  }

  await shell.open('#/leaderboard');
  await page.getByTestId('leaderboard-table').waitFor({ timeout: 60_000 });
  const ranked = await page.getByTestId('leaderboard-row').evaluateAll((rows) => rows.map((r) => r.dataset.model));
  assert.deepEqual([...ranked].sort(), [vote.model_a, vote.model_b].sort());
  assert.match(await page.getByTestId('vote-count').textContent(), /^1 vote stored\.$/);
  for (const line of timings) t.diagnostic(line);
  assert.deepEqual(errors, []);
});

test('side by side, both models answer exactly as the native engine does; stop and regenerate work', { timeout: LONG }, async (t) => {
  const contestants = shippedContestants().map((c) => (c.id === 'smollm2-135m' ? { ...c, params: { temperature: 0, max_tokens: 2000 } } : c));
  const site = await serveWith(t, contestants);
  const { page, errors } = await pageFor(t, browser);
  const timings = await recordLoading(page);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/side-by-side');
  await arena.ready();
  const PROMPT = 'Name three colours.';
  await page.getByTestId('pick-a').selectOption('smollm2-135m-greedy');
  await page.getByTestId('pick-b').selectOption('gemma3-270m');
  await arena.send(PROMPT);
  await arena.waitForJudging(LONG);
  const first = await arena.texts();

  // Regenerate: both answer again, the same (greedy), from the workers already loaded.
  const before = [downloads(site, SMOL), downloads(site, GEMMA)];
  assert.equal(answered(timings), 2);
  // Each worker holds its whole model file in its wasm heap, and reports that heap.
  for (const line of timings.filter((l) => l.startsWith('[local model] prompt '))) {
    const mib = Number(line.match(/worker heap (\d+) MiB$/)?.[1]);
    assert.ok(mib * 2 ** 20 >= statSync(`${MODELS}/${SMOL}`).size && mib < 4096, `a plausible worker heap: ${line}`);
  }
  await page.getByTestId('regenerate').click();
  await waitFor(() => answered(timings) === 4, 'both answers regenerated');
  await arena.waitForJudging(LONG);
  assert.deepEqual(await arena.texts(), first, 'greedy answers repeat');
  assert.deepEqual([downloads(site, SMOL), downloads(site, GEMMA)], before, 'no second download');

  await arena.vote('tie').click();
  await arena.modelName('a').waitFor();
  assert.equal(await arena.modelName('a').textContent(), contestants.find((c) => c.id === 'smollm2-135m-greedy').name);
  const [vote] = await storedVotes(page);
  assert.equal(vote.anony, false);
  assert.equal(vote.conversation_a[1].content, reference(SMOL, PROMPT), 'SmolLM2 in the worker = arena llm generate');
  assert.equal(vote.conversation_b[1].content, reference(GEMMA, PROMPT), 'Gemma 3 in the worker = arena llm generate');

  // Direct chat: a long answer stopped after its first words stops in the worker too, and
  // the same worker answers the next message.
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('chat-pick').selectOption('smollm2-135m');
  await page.getByTestId('prompt-input').fill('Count from 1 to 500, one number per line.');
  await page.getByTestId('send-button').click();
  const log = page.getByTestId('chat-log');
  await page.waitForFunction(() => document.querySelector('[data-testid="chat-log"] .markdown')?.textContent.trim().length > 0, null, { timeout: LONG });
  await page.getByTestId('chat-stop').click();
  const stoppedText = await log.locator('.markdown').last().textContent();
  const stopped = await waitForLog(timings, /^\[local model\] stopped after (\d+) tokens$/);
  const n = Number(stopped[1]);
  assert.ok(n >= 1 && n < 2000, `the worker stopped after ${n} of up to 2000 tokens`);
  assert.equal(await log.locator('.markdown').last().textContent(), stoppedText, 'nothing arrives after the stop');
  await page.getByTestId('prompt-input').fill('Thanks!');
  await page.getByTestId('send-button').click();
  await waitFor(() => answered(timings) === 5, 'the follow-up answered');
  await page.waitForFunction(() => !document.querySelector('[data-testid="chat-log"].streaming'), null, { timeout: LONG });
  // (What it says depends on where the first answer was stopped, so only its end is checked.)
  assert.equal(await log.locator('.turn').count(), 2);
  await shot(page, 'local-direct-chat');
  for (const line of timings) t.diagnostic(line);
  assert.deepEqual(errors, []);
});

/** Answers the page has logged as complete (one line each, with their timings). */
function answered(lines) {
  return lines.filter((l) => l.startsWith('[local model] prompt ')).length;
}

/** Waits until `check()` is truthy; the limit only guards against a hang. */
async function waitFor(check, what, timeoutMs = LONG) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the page has logged a line matching `re`; returns the match. */
function waitForLog(lines, re) {
  return waitFor(() => lines.map((l) => l.match(re)).find(Boolean), `a log line ${re}: ${JSON.stringify(lines)}`);
}

test('a damaged or missing model file fails its side plainly, names nothing before the vote, and is not kept', { timeout: LONG }, async (t) => {
  const smol = readFileSync(`${MODELS}/${SMOL}`);
  // Truncated: the first 8 MB, served as a whole file of that size.
  const truncated = smol.subarray(0, 8_000_000);
  // Bytes flipped in the header: the tensor count (bytes 8-15) becomes huge.
  const flipped = Buffer.from(smol);
  for (let i = 8; i < 16; i++) flipped[i] ^= 0xff;
  const broken = [
    { id: 'cut-model', name: 'Cut Model', provider: 'local', model: 'cut', gguf_url: 'models/cut.gguf', weight: 1 },
    { id: 'flipped-model', name: 'Flipped Model', provider: 'local', model: 'flipped', gguf_url: 'models/flipped.gguf', weight: 1 },
    { id: 'missing-model', name: 'Missing Model', provider: 'local', model: 'missing', gguf_url: 'models/missing.gguf', weight: 0 },
  ];
  const site = await serveWith(t, broken, {
    '/models/cut.gguf': { body: truncated, type: 'application/octet-stream' },
    '/models/flipped.gguf': { body: flipped, type: 'application/octet-stream' },
  });
  const { page } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('Hello');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="answer-error"]').length === 2, null, { timeout: LONG });
  const messages = await page.getByTestId('answer-error').allTextContents();
  for (const m of messages) {
    assert.match(m, /^The model file is damaged or truncated, so it cannot be used\. Regenerate to try again, or test this contestant on the Models page\.$/);
  }
  const html = await page.content();
  for (const c of broken) {
    for (const secret of [c.name, c.id, c.gguf_url.split('/').pop()]) assert.ok(!html.includes(secret), `DOM leaks ${secret}`);
  }
  for (const v of ['a', 'b', 'tie', 'bothbad']) assert.ok(await arena.vote(v).isDisabled(), `vote-${v} disabled`);
  await shot(page, 'local-battle-bad-files');
  assert.deepEqual(await cachedUrls(page), [], 'a bad file is not kept');

  // Side by side names the fault and the file; a 404 says so.
  await shell.open('#/side-by-side');
  await arena.ready();
  await page.getByTestId('pick-a').selectOption('missing-model');
  await page.getByTestId('pick-b').selectOption('flipped-model');
  await arena.send('Hello');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="answer-error"]').length === 2, null, { timeout: LONG });
  const a = await arena.response('a').getByTestId('answer-error').textContent();
  const b = await arena.response('b').getByTestId('answer-error').textContent();
  assert.match(a, /^The model file could not be downloaded \(HTTP 404\)\. Check that models\/missing\.gguf is served/);
  assert.match(b, /^The model file is damaged or truncated, so it cannot be used\. Replace models\/flipped\.gguf with an intact GGUF file\. Details: the tensor count is too large/);
  await shot(page, 'local-named-bad-files');

  // The Models page's check says the same for each file.
  await shell.open('#/models');
  const row = page.locator('[data-testid="contestant-row"][data-id="missing-model"]');
  await row.getByTestId('test-connection').click();
  await row.getByTestId('connection-result').waitFor();
  assert.equal(await row.getByTestId('connection-result').getAttribute('data-kind'), 'not-found');
});

test('a reload reads the models from the browser instead of downloading them; the Models page lists and deletes them', { timeout: LONG }, async (t) => {
  const smolOnly = shippedContestants().filter((c) => c.gguf_url.endsWith(SMOL));
  const site = await serveWith(t, smolOnly);
  const { page, errors } = await pageFor(t, browser);
  await recordLoading(page);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('Say hello.');
  await arena.waitForJudging(LONG);
  const fetched = downloads(site, SMOL);
  assert.ok(fetched >= 1 && fetched <= 2, `downloaded by the workers that loaded it: ${fetched}`);
  const key = new URL(`models/${SMOL}`, site.url).href;
  assert.deepEqual(await cachedUrls(page), [key]);

  // A reload: a new battle with both workers started afresh, and no download.
  await page.reload();
  await arena.ready();
  await page.getByTestId('new-round').click();
  await arena.send('Say hello again.');
  await arena.waitForJudging(LONG);
  assert.equal(downloads(site, SMOL), fetched, 'no request for the model after the reload');
  const loads = await page.evaluate(() => window.__loads);
  const reading = loads.filter((l) => l.phase === 'reading');
  assert.ok(reading.length > 0 && reading.every((l) => l.source === 'cache'), JSON.stringify(reading.slice(0, 3)));
  assert.match(reading.at(-1).label, /^Loading the model from this browser: /);

  // The Models page: the stored file, its size, where it runs; delete, then download again.
  await shell.open('#/models');
  const row = page.locator(`[data-testid="local-model-row"][data-url="${key}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-stored'), 'true');
  assert.equal(await row.getAttribute('data-bytes'), String(SIZES[SMOL]));
  assert.equal(await row.getByTestId('local-model-size').textContent(), '98.4 MB');
  assert.equal(await row.getByTestId('local-model-device').textContent(), 'CPU (wasm SIMD)');
  assert.equal(await page.getByTestId('runs-on').first().textContent(), 'runs on the CPU (wasm SIMD)');
  await shot(page, 'local-models-page');
  await row.getByTestId('delete-model').click();
  await page.locator(`[data-testid="local-model-row"][data-url="${key}"][data-stored="false"]`).waitFor();
  assert.deepEqual(await cachedUrls(page), []);
  await page.locator(`[data-testid="local-model-row"][data-url="${key}"]`).getByTestId('download-model').click();
  const result = `[data-testid="local-model-row"][data-url="${key}"] [data-testid="local-model-result"]:not(:has-text("Deleted"))`;
  const done = page.locator(result);
  await done.waitFor({ timeout: LONG });
  assert.equal(await done.getAttribute('data-outcome'), 'ok', await done.textContent());
  assert.match(await done.textContent(), /^Loaded 98\.4 MB from the network in [\d.]+ s \(stored in this browser\); runs on the CPU \(wasm SIMD\)\.$/);
  assert.equal(downloads(site, SMOL), fetched + 1);
  assert.deepEqual(await cachedUrls(page), [key]);
  await shot(page, 'local-models-page-downloaded');

  // Loading the file from disk stores it under the contestant's URL without a download.
  await page.locator(`[data-testid="local-model-row"][data-url="${key}"]`).getByTestId('delete-model').click();
  await page.locator(`[data-testid="local-model-row"][data-url="${key}"][data-stored="false"]`).waitFor();
  await page.locator(`[data-testid="local-model-row"][data-url="${key}"]`).getByTestId('load-model-file').setInputFiles(`${MODELS}/${SMOL}`);
  const picked = page.locator(result);
  await picked.waitFor({ timeout: LONG });
  assert.match(await picked.textContent(), /^Loaded 98\.4 MB from a picked file in [\d.]+ s \(stored in this browser\)/);
  assert.equal(downloads(site, SMOL), fetched + 1, 'a picked file needs no download');
  assert.deepEqual(await cachedUrls(page), [key]);
  assert.deepEqual(errors, []);
});

test('stopping while a model downloads ends the download, in a battle and on the Models page, and stores nothing', { timeout: LONG }, async (t) => {
  // The server sends the first MiB of the file and then holds the response, so each download
  // is known to be under way, and stays so, until the page ends it.
  const smol = readFileSync(`${MODELS}/${SMOL}`);
  const holds = [];
  const hold = (req, res) => {
    const closed = new Promise((ok) => res.on('close', () => ok(res.writableFinished)));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': smol.length });
    res.write(smol.subarray(0, 1 << 20), () => holds.push({ path: req.url, closed }));
  };
  const held = [
    { id: 'held-a', name: 'Held A', provider: 'local', model: 'a', gguf_url: 'models/held-a.gguf', weight: 1 },
    { id: 'held-b', name: 'Held B', provider: 'local', model: 'b', gguf_url: 'models/held-b.gguf', weight: 1 },
  ];
  const site = await serveWith(t, held, { '/models/held-a.gguf': hold, '/models/held-b.gguf': hold });
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('Hello');
  await waitFor(() => holds.length === 2, 'both downloads under way');
  await page.locator('[data-testid="load-progress-a"][data-loaded]').waitFor();
  await page.locator('[data-testid="load-progress-b"][data-loaded]').waitFor();
  await shot(page, 'local-battle-held-download');
  // Escape stops both sides: both downloads are cut, not finished.
  await page.keyboard.press('Escape');
  assert.deepEqual(await Promise.all(holds.map((h) => h.closed)), [false, false], 'both downloads were cut');
  await page.waitForFunction(() => document.querySelectorAll('.load-progress').length === 0);
  assert.equal(await arena.streaming(), 0);
  assert.deepEqual(await cachedUrls(page), [], 'nothing of a stopped download is stored');

  // The Models page's download has a Cancel button that does the same.
  await shell.open('#/models');
  const key = new URL('models/held-a.gguf', site.url).href;
  const row = page.locator(`[data-testid="local-model-row"][data-url="${key}"]`);
  await row.getByTestId('download-model').click();
  await waitFor(() => holds.length === 3, 'the third download under way');
  await row.locator('[data-testid="load-progress-models"][data-loaded]').waitFor();
  await shot(page, 'local-models-page-downloading');
  await row.getByTestId('cancel-load').click();
  assert.equal(await holds[2].closed, false, 'the download was cut');
  assert.equal(await row.getByTestId('local-model-result').getAttribute('data-outcome'), 'stopped');
  assert.deepEqual(await cachedUrls(page), []);
  assert.deepEqual(errors, []);
});
