// A blind battle end to end against the loopback provider server: streaming, anonymity,
// the vote, reload, export; and a provider failing mid-answer. Streams are held by the
// server at scripted pauses (`pause-N`), so the test knows what has arrived, whatever the
// machine's speed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { DEFAULT_TEXT, firstTokens, startTestServer } from '../support/testserver.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { until } from '../support/until.mjs';
import { Shell } from '../pages/shell.mjs';
import { ArenaPage } from '../pages/arena.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
let browser;
let provider;

function arenaJson(contestants) {
  return JSON.stringify({
    schema: 1,
    arena_id: 'e2e',
    title: 'E2E arena',
    efficient_pairing: false,
    contestants,
  });
}

const NAMES = ['Alpha Seven', 'Beta Nine'];

function twoContestants(modelA, modelB) {
  return [
    { id: 'alpha-seven', name: NAMES[0], provider: 'openai-compatible', preset: 'vllm',
      base_url: `${provider.url}/vllm/v1`, model: modelA },
    { id: 'beta-nine', name: NAMES[1], provider: 'openai-compatible', preset: 'llamacpp',
      base_url: `${provider.url}/llamacpp/v1`, model: modelB },
  ];
}

/** Serves the app with these contestants until test `t` ends. */
async function serveWith(t, contestants) {
  const site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: arenaJson(contestants) } },
  });
  t.after(() => site.close());
  return site;
}

/** Waits until the server holds a stream of `model`; checks how many tokens it sent. */
async function heldAt(model, tokens) {
  const held = await provider.wait({ model });
  assert.equal(held.tokens_sent, tokens, `${model} is held after ${tokens} tokens`);
  return held;
}

/** The battle stored for a reload (the `current_battle` setting's conversation), or null. */
async function storedBattle(page) {
  return page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('arena');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const read = (store, key) => new Promise((done, failed) => {
        const r = db.transaction(store).objectStore(store).get(key);
        r.onsuccess = () => done(r.result ? JSON.parse(r.result.json) : null);
        r.onerror = () => failed(r.error);
      });
      read('settings', 'current_battle')
        .then((current) => (current ? read('conversations', current.id) : null))
        .then((conv) => { db.close(); ok(conv); }, (e) => { db.close(); fail(e); });
    };
  }));
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  provider = await startTestServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await provider?.close();
});

test('a full blind battle: stream, vote, reveal, reload, count, export', async (t) => {
  // Each side is held twice mid-answer, at different points.
  const ECHO = 'echo+pause-2+pause-4';
  const GREET = 'pause-3+pause-7';
  const PROMPT = 'Please echo: the quick brown fox';
  const site = await serveWith(t, twoContestants(ECHO, GREET));
  const { page, errors } = await pageFor(t, browser, { acceptDownloads: true });
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();

  await arena.send(PROMPT);
  // Text arrives token by token: while the server holds both streams, the page shows exactly
  // the tokens sent so far, and the battle cannot be judged yet.
  const lengths = { a: [], b: [] };
  for (const [echoAt, greetAt] of [[2, 3], [4, 7]]) {
    const held = [await heldAt(ECHO, echoAt), await heldAt(GREET, greetAt)];
    await arena.waitForAnswers([firstTokens(PROMPT, echoAt).trim(), firstTokens(DEFAULT_TEXT, greetAt).trim()]);
    assert.equal(await arena.streaming(), 2, 'both answers are still streaming');
    assert.ok(await arena.vote('a').isDisabled(), 'no vote while the answers stream');
    for (const side of ['a', 'b']) lengths[side].push((await arena.text(side)).length);
    for (const h of held) await provider.release(h.id);
  }
  await arena.waitForJudging();
  const texts = await arena.texts();
  for (const side of ['a', 'b']) lengths[side].push((await arena.text(side)).length);
  for (const side of ['a', 'b']) {
    const [l1, l2, l3] = lengths[side];
    assert.ok(l1 > 0 && l1 < l2 && l2 < l3, `side ${side} streamed in steps: ${lengths[side]}`);
  }
  assert.deepEqual([...texts].sort(), [PROMPT, DEFAULT_TEXT].sort(), 'one side echoes, one greets');

  // Anonymity: before the vote, no name or id anywhere in the DOM, the title or the URL.
  const html = await page.content();
  for (const secret of [...NAMES, 'alpha-seven', 'beta-nine']) {
    assert.ok(!html.includes(secret), `DOM leaks ${secret}`);
    assert.ok(!(await page.title()).includes(secret), `title leaks ${secret}`);
    assert.ok(!page.url().includes(secret), `URL leaks ${secret}`);
  }
  assert.equal(await arena.modelName('a').count(), 0);
  await page.screenshot({ path: `${SHOTS}/battle-before-vote.png`, fullPage: true });

  // The judge votes with the keyboard (1 = A is better); names appear.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('1');
  await arena.modelName('a').waitFor();
  const revealed = [await arena.modelName('a').textContent(), await arena.modelName('b').textContent()];
  assert.deepEqual([...revealed].sort(), [...NAMES].sort());
  assert.ok(await arena.vote('b').isDisabled(), 'no second vote after the reveal');
  const echoSide = texts[0] === PROMPT ? 0 : 1;
  const winnerName = revealed[0];
  await page.screenshot({ path: `${SHOTS}/battle-after-vote.png`, fullPage: true });

  // Reload: the vote is still there and counted.
  await page.reload();
  await shell.open('#/leaderboard');
  await page.getByTestId('vote-count').waitFor();
  assert.match(await page.getByTestId('vote-count').textContent(), /^1 vote stored\.$/);

  // Export: FastChat field names, the right winner.
  await shell.open('#/data');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-button').click(),
  ]);
  const path = await download.path();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  const vote = JSON.parse(lines[0]);
  for (const k of ['question_id', 'model_a', 'model_b', 'winner', 'judge', 'conversation_a',
    'conversation_b', 'turn', 'anony', 'language', 'tstamp', 'id']) {
    assert.ok(k in vote, `export has ${k}`);
  }
  assert.equal(vote.winner, 'model_a');
  assert.equal(vote.anony, true);
  assert.match(vote.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  assert.equal(vote.model_a, winnerName === NAMES[0] ? 'alpha-seven' : 'beta-nine');
  assert.equal(vote.conversation_a[0].content, PROMPT);
  assert.equal(vote.conversation_a[1].content, texts[0]);
  assert.ok(echoSide === 0 ? vote.model_a === 'alpha-seven' : vote.model_b === 'alpha-seven');
  assert.deepEqual(errors, []);
});

test('a provider failing mid-answer shows the error and records no vote', async (t) => {
  await provider.reset();
  const site = await serveWith(t, twoContestants('slow-40', 'midstream-error-3+slow-40'));
  const { page } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('Tell me something');
  const error = page.getByTestId('answer-error');
  await error.waitFor({ timeout: 20_000 });
  assert.match(await error.textContent(), /overloaded|went wrong|failing/i);
  // Let the healthy side finish; voting stays impossible.
  await page.waitForFunction(() => !document.querySelector('.answer.streaming'), null, { timeout: 20_000 });
  for (const v of ['a', 'b', 'tie', 'bothbad']) assert.ok(await arena.vote(v).isDisabled(), `vote-${v} disabled`);
  await page.keyboard.press('1');
  assert.equal(await arena.modelName('a').count(), 0, 'no reveal without a vote');
  await page.screenshot({ path: `${SHOTS}/battle-midstream-error.png`, fullPage: true });

  // Regenerate asks both providers again: each is asked once more, and each request ends.
  await provider.reset();
  await page.getByTestId('regenerate').click();
  await provider.wait({ model: 'slow-40', state: 'ended' });
  await provider.wait({ model: 'midstream-error-3+slow-40', state: 'ended' });
  await error.waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => !document.querySelector('.answer.streaming'), null, { timeout: 20_000 });
  const asked = (await provider.log()).filter((r) => r.method === 'POST').map((r) => r.model).sort();
  assert.deepEqual(asked, ['midstream-error-3+slow-40', 'slow-40'], 'both sides were asked again, once');

  await shell.open('#/leaderboard');
  await page.getByTestId('vote-count').waitFor();
  assert.match(await page.getByTestId('vote-count').textContent(), /^0 votes stored\.$/);
});

test('a battle in progress survives a reload and can still be judged', async (t) => {
  // Both answers are held after 30 of their 80 tokens, so the reload comes mid-answer.
  const [MODEL_A, MODEL_B] = ['tokens-80+pause-30+left', 'tokens-80+pause-30+right'];
  const site = await serveWith(t, twoContestants(MODEL_A, MODEL_B));
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('A long story, please');
  const held = [await heldAt(MODEL_A, 30), await heldAt(MODEL_B, 30)];
  const partial = firstTokens(DEFAULT_TEXT, 30);
  await arena.waitForAnswers([partial.trim(), partial.trim()]);
  // The battle is written a moment after each change: wait until the stored one holds the
  // text shown (both sides), then reload.
  await until('the battle stored with the text shown', async () => {
    const conv = await storedBattle(page);
    return conv && [conv.messages_a, conv.messages_b].every((m) => m.at(-1)?.content === partial);
  });
  const before = await arena.texts();
  await page.reload();
  // Reloading left both requests: the server sees each go.
  for (const h of held) await provider.wait({ model: h.model, state: 'aborted' });
  await arena.ready();
  await arena.waitForAnswers(before);
  assert.deepEqual(await arena.texts(), before, 'the restored answers are the ones shown before');
  assert.equal(await arena.modelName('a').count(), 0, 'still anonymous after the reload');
  assert.ok(!(await page.content()).includes('Alpha Seven'));
  await arena.waitForJudging();
  await arena.vote('tie').click();
  await arena.modelName('b').waitFor();
  assert.deepEqual(errors, []);
});

test('a battle whose answer names a contestant is flagged in the export', async (t) => {
  const site = await serveWith(t, twoContestants('echo', 'echo'));
  const { page } = await pageFor(t, browser, { acceptDownloads: true });
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('Repeat after me: I am Beta Nine.');
  await arena.waitForJudging();
  await arena.vote('b').click();
  await arena.modelName('a').waitFor();
  // Narrow screen, dark theme: the answers stack and stay readable.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  const [a, b] = [await arena.response('a').boundingBox(), await arena.response('b').boundingBox()];
  assert.ok(b.y >= a.y + a.height - 1, 'answers are stacked on a narrow screen');
  await page.screenshot({ path: `${SHOTS}/battle-narrow-dark.png`, fullPage: true });
  await shell.open('#/data');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-button').click(),
  ]);
  const votes = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const flagged = votes.find((v) => v.conversation_a[0].content.startsWith('Repeat after me'));
  assert.ok(flagged, 'the vote is exported');
  assert.deepEqual(flagged.flags, ['identity_leak']);
});
