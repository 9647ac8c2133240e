// Every wire format streams into the page through the real UI (contestants and keys entered
// on the Models page), every error kind shows its message, Stop aborts the request on the
// server, and a blind battle never shows a provider-specific hint. The key never leaks.
// Streams are held by the server at scripted pauses (`pause-N`), so what has arrived is
// known exactly, whatever the machine's speed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { firstTokens, startTestServer } from '../support/testserver.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';
import { ArenaPage } from '../pages/arena.mjs';
import { ModelsPage } from '../pages/models.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
// Every keyed route of the test server accepts exactly this key.
const KEY = 'sk-e2e-LEAKCHECK-91c2f7';
let browser;

/** A full-page screenshot from the top (a scrolled page would show the sticky header mid-way). */
async function shot(page, path) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
}
let provider;

/**
 * Serves the app with these contestants until test `t` ends; `PROVIDER` in a base URL is
 * the test server.
 */
async function serveWith(t, list) {
  const contestants = list.map((c) => ({ ...c, base_url: c.base_url.replace('PROVIDER', provider.url) }));
  const config = { schema: 1, arena_id: 'e2e-providers', title: 'Providers arena', efficient_pairing: false, contestants };
  const site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: JSON.stringify(config) } },
  });
  t.after(() => site.close());
  return site;
}

const vllm = (id, model, params) => ({
  id, name: `Contestant ${id}`, provider: 'openai-compatible', preset: 'vllm',
  base_url: 'PROVIDER/vllm/v1', model, ...(params ? { params } : {}),
});

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  provider = await startTestServer(['--key', KEY]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await provider?.close();
});

/** Picks two contestants by id on the side-by-side page and sends a prompt. */
async function namedBattle(page, a, b, prompt = 'Say hello') {
  await page.getByTestId('pick-a').selectOption(a);
  await page.getByTestId('pick-b').selectOption(b);
  await new ArenaPage(page).send(prompt);
}

/** Every wire's contestant answers with this model, held after 2 and after 5 tokens. */
const PAUSED = 'echo+pause-2+pause-5';
/** The model of a wire's contestant: the flavor word only tells the requests apart. */
const pausedModel = (preset) => `${PAUSED}+${preset}`;

test('each wire streams token by token with keys entered in the UI; the key never leaks', async (t) => {
  await provider.reset();
  const site = await serveWith(t, []);
  const { page, errors } = await pageFor(t, browser, { acceptDownloads: true });
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  const shell = new Shell(page, site.url);
  const models = new ModelsPage(page, shell);
  await models.open();
  await page.getByTestId('no-contestants').waitFor();

  const wires = [
    { name: 'Wire OpenAI', preset: 'openai', baseUrl: `${provider.url}/openai/v1` },
    { name: 'Wire Anthropic', preset: 'anthropic', baseUrl: `${provider.url}/anthropic` },
    { name: 'Wire Gemini', preset: 'gemini', baseUrl: `${provider.url}/gemini/v1beta` },
    { name: 'Wire Ollama', preset: 'ollama', baseUrl: `${provider.url}/ollama` },
    { name: 'Wire Mistral', preset: 'mistral', baseUrl: `${provider.url}/mistral/v1` },
  ];
  for (const w of wires) await models.add({ ...w, model: pausedModel(w.preset) });
  // Keys are set once the contestants exist: a key is scoped to the address it is for, and
  // these contestants live at the test server's address, not the providers' own.
  // Gemini's key is for this session only: battles read memory first, then the store.
  for (const preset of ['openai', 'anthropic', 'mistral']) await models.setKey(preset, KEY);
  await models.setKey('gemini', KEY, 'session');
  assert.ok(!(await page.content()).includes(KEY), 'a saved key is not in the DOM');
  const ids = await models.rows().evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.deepEqual(ids, ['wire-anthropic', 'wire-gemini', 'wire-mistral', 'wire-ollama', 'wire-openai']);

  await shell.open('#/side-by-side');
  await page.getByTestId('pick-a').waitFor();
  const arena = new ArenaPage(page);
  const pairs = [['wire-openai', 'wire-anthropic'], ['wire-gemini', 'wire-ollama'], ['wire-mistral', 'wire-openai']];
  for (const [i, [a, b]] of pairs.entries()) {
    if (i > 0) await page.getByTestId('new-round').click();
    const prompt = `Echo this back: pair ${i} über 你好`;
    await namedBattle(page, a, b, prompt);
    // At each pause both sides show exactly the tokens sent so far, still streaming.
    for (const n of [2, 5]) {
      const held = [];
      for (const id of [a, b]) {
        const h = await provider.wait({ model: pausedModel(id.replace('wire-', '')) });
        assert.equal(h.tokens_sent, n, `${id} is held after ${n} tokens`);
        held.push(h);
      }
      const shown = firstTokens(prompt, n).trim();
      await arena.waitForAnswers([shown, shown]);
      assert.equal(await arena.streaming(), 2, `pair ${i}: both still stream after ${n} tokens`);
      for (const h of held) await provider.release(h.id);
    }
    await arena.waitForJudging();
    assert.equal(await arena.text('a'), prompt, `${a} answers in full`);
    assert.equal(await arena.text('b'), prompt, `${b} answers in full`);
  }
  await shot(page, `${SHOTS}/providers-streamed.png`);
  await arena.vote('a').click();
  await arena.modelName('a').waitFor();

  // Mistral's preflight asked for standard headers only (the server refuses anything else),
  // and every keyed request reached its provider and succeeded.
  const log = await provider.log();
  const preflights = log.filter((r) => r.flavor === 'mistral' && r.method === 'OPTIONS');
  assert.ok(preflights.length >= 1, 'Mistral was preflighted');
  for (const p of preflights) {
    for (const h of p.header_names) assert.ok(['authorization', 'content-type', 'accept'].includes(h), `Mistral preflight asks for ${h}`);
  }
  const posts = log.filter((r) => r.method === 'POST');
  assert.deepEqual([...new Set(posts.map((r) => r.flavor))].sort(), ['anthropic', 'gemini', 'mistral', 'ollama', 'openai']);
  for (const r of posts) assert.equal(r.status, 200, `${r.flavor} answered 200`);

  // The key: in the secrets store (the search below would find it), and nowhere else.
  const dump = await page.evaluate(async () => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open('arena');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const out = {};
    for (const name of db.objectStoreNames) {
      out[name] = await new Promise((ok) => {
        const req = db.transaction(name).objectStore(name).getAll();
        req.onsuccess = () => ok(JSON.stringify(req.result));
      });
    }
    db.close();
    return { stores: out, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) };
  });
  assert.ok(dump.stores.secrets.includes(KEY), 'positive control: the secrets store holds the key');
  assert.ok(!dump.stores.secrets.includes('gemini'), 'a session-only key is not stored');
  for (const [name, text] of Object.entries(dump.stores)) {
    if (name !== 'secrets') assert.ok(!text.includes(KEY), `the ${name} store holds no key`);
  }
  assert.ok(dump.stores.contestants.includes('wire-openai'), 'the contestants store was searched');
  assert.ok(!dump.local.includes(KEY) && !dump.session.includes(KEY), 'web storage holds no key');

  await shell.open('#/data');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()]);
  const exported = readFileSync(await download.path(), 'utf8');
  assert.ok(exported.includes('wire-mistral'), 'the export holds the vote');
  assert.ok(!exported.includes(KEY), 'the export holds no key');
  for (const line of consoleLines) assert.ok(!line.includes(KEY), `console: ${line}`);
  for (const r of log) {
    assert.ok(!r.path.includes(KEY), `URL ${r.path}`);
    assert.equal(r.key_in_url, false, `${r.flavor} ${r.path} has no key in the URL`);
  }
  assert.ok(!page.url().includes(KEY));
  assert.ok(!(await page.content()).includes(KEY), 'the DOM holds no key');
  assert.deepEqual(errors, []);
});

const ERRORS = [
  ['bad key', vllm('e-badkey', 'bad-key'), /The API key was refused\./, /Check the key/],
  ['rate limit', vllm('e-rate', 'rate-limit-5'), /Too many requests: the service asks to wait 5 seconds\./, /Wait 5 seconds/],
  ['context too long', vllm('e-context', 'context-too-long'), /The conversation is too long for this model\./, /shorter prompt/],
  ['overloaded', vllm('e-overloaded', 'overloaded'), /The service is overloaded or failing right now\./, /Try again in a little while/],
  ['mid-stream error', vllm('e-midstream', 'midstream-error-3+slow-30'), /overloaded|went wrong|failing/, /./],
  ['CORS switched off', { id: 'e-nocors', name: 'NoCors', provider: 'openai-compatible', preset: 'lmstudio',
    base_url: 'PROVIDER/lmstudio-nocors/v1', model: 'echo' }, /could not be reached/, /Enable CORS/],
  ['origin not allowed', { id: 'e-strict', name: 'Strict', provider: 'ollama',
    base_url: 'PROVIDER/ollama-strict', model: 'echo' }, /could not be reached/, /OLLAMA_ORIGINS=http:\/\/127\.0\.0\.1:/],
  ['unreachable', vllm('e-down', 'echo'), /could not be reached/, /vLLM is running/],
  ['idle timeout', vllm('e-stall', 'stall-2+slow-50', { idle_timeout_secs: 2 }), /The answer stalled: nothing arrived for 2 seconds\./, /stopped mid-answer/],
];

test('each error kind shows its message and its fix', async (t) => {
  await provider.reset();
  const contestants = [vllm('healthy', 'echo'), ...ERRORS.map(([, c]) => ({ ...c }))];
  // Nothing listens on port 9 of loopback.
  contestants.find((c) => c.id === 'e-down').base_url = 'http://127.0.0.1:9/v1';
  const site = await serveWith(t, contestants);
  const { page } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  await shell.open('#/side-by-side');
  await page.getByTestId('pick-a').waitFor();
  for (const [i, [what, c, message, hint]] of ERRORS.entries()) {
    if (i > 0) await page.getByTestId('new-round').click();
    const started = Date.now();
    await namedBattle(page, c.id, 'healthy');
    const error = page.getByTestId('response-a').getByTestId('answer-error');
    await error.waitFor({ timeout: 20_000 });
    const text = await error.textContent();
    assert.match(text, message, `${what}: ${text}`);
    assert.match(text, hint, `${what} hint: ${text}`);
    if (what === 'idle timeout') {
      // A floor, not a speed check: the page may fail the stream only once 2 s have passed
      // without an event (a busy machine can only make this longer).
      const waited = Date.now() - started;
      assert.ok(waited >= 2000, `the stall was waited out (${waited} ms)`);
      const kept = await new ArenaPage(page).text('a');
      assert.ok(kept.length > 0 && !kept.includes('🎉'), `the text before the stall stays: ${kept}`);
    }
    await page.waitForFunction(() => !document.querySelector('.answer.streaming'), null, { timeout: 20_000 });
    assert.ok(await new ArenaPage(page).vote('a').isDisabled(), `${what}: no vote on a failed battle`);
    if (what === 'rate limit') {
      await shot(page, `${SHOTS}/providers-rate-limit-light.png`);
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      await shot(page, `${SHOTS}/providers-rate-limit-dark.png`);
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
    }
  }
});

test('stop aborts the request and the server sees it go', async (t) => {
  await provider.reset();
  // Held after three of its 200 tokens: Stop comes mid-answer, with a known text shown.
  const SLOW = 'echo+tokens-200+pause-3';
  const site = await serveWith(t, [vllm('slow', SLOW), vllm('quick', 'echo')]);
  const { page } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  await shell.open('#/side-by-side');
  await page.getByTestId('pick-a').waitFor();
  await namedBattle(page, 'slow', 'quick', 'one two three four five six seven');
  const arena = new ArenaPage(page);
  const held = await provider.wait({ model: SLOW });
  await page.waitForFunction(() => document.querySelector('[data-testid="response-a"] .markdown')?.textContent.trim() === 'one two three');
  await page.getByTestId('stop-a').click();
  await page.waitForFunction(() => !document.querySelector('.answer.streaming'), null, { timeout: 10_000 });
  assert.match(await page.locator('.answer').first().locator('.answer-state').textContent(), /stopped/);
  assert.equal(await arena.text('a'), 'one two three', 'what arrived stays');
  // The server saw the client leave mid-stream, at the pause.
  const slow = await provider.wait({ model: SLOW, state: 'aborted' });
  assert.equal(slow.id, held.id);
  assert.equal(slow.completed, false);
  assert.equal(slow.tokens_sent, 3, JSON.stringify(slow));
  await arena.waitForJudging();
});

test('a blind battle shows the plain message and a neutral hint, never the provider fix', async (t) => {
  await provider.reset();
  const strict = { id: 'blind-strict', name: 'Blind Strict', provider: 'ollama', base_url: `${provider.url}/ollama-strict`, model: 'echo' };
  const nocors = { id: 'blind-nocors', name: 'Blind NoCors', provider: 'openai-compatible', preset: 'lmstudio', base_url: `${provider.url}/lmstudio-nocors/v1`, model: 'echo' };
  const site = await serveWith(t, [strict, nocors]);
  const { page } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('hello');
  const errors = page.getByTestId('answer-error');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="answer-error"]').length === 2, null, { timeout: 20_000 });
  for (const text of await errors.allTextContents()) {
    assert.match(text, /The service could not be reached, or the connection broke\./);
    assert.match(text, /test this contestant on the Models page/);
  }
  const html = await page.content();
  for (const giveaway of ['OLLAMA_ORIGINS', 'Ollama', 'LM Studio', 'Enable CORS', 'Blind Strict', 'Blind NoCors', 'blind-strict']) {
    assert.ok(!html.includes(giveaway), `the blind page says ${giveaway}`);
  }
  await shot(page, `${SHOTS}/providers-blind-error.png`);
});
