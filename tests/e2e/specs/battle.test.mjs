// A blind battle end to end against the loopback provider server: streaming, anonymity,
// the vote, reload, export; and a provider failing mid-answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { launch, newPage } from '../support/browser.mjs';
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

async function serveWith(contestants) {
  return serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: arenaJson(contestants) } },
  });
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

test('a full blind battle: stream, vote, reveal, reload, count, export', async () => {
  const site = await serveWith(twoContestants('echo+slow-40', 'slow-40'));
  const { page, errors, context } = await newPage(browser, { acceptDownloads: true });
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();

  await arena.send('Please echo: the quick brown fox');
  // Text arrives token by token: sample both panels while they stream.
  const lengths = { a: new Set(), b: new Set() };
  for (let i = 0; i < 40; i++) {
    for (const side of ['a', 'b']) lengths[side].add((await arena.text(side)).length);
    if (!(await arena.vote('a').isDisabled())) break;
    await page.waitForTimeout(50);
  }
  assert.ok(lengths.a.size >= 3 && lengths.b.size >= 3, `streamed in steps: ${[...lengths.a]} / ${[...lengths.b]}`);
  await arena.waitForJudging();
  const texts = [await arena.text('a'), await arena.text('b')];
  assert.ok(texts.some((t) => t.includes('the quick brown fox')), `one side echoes: ${texts}`);
  assert.ok(texts.some((t) => t.includes('Hello from the arena test server')), `one side greets: ${texts}`);

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
  const echoSide = texts[0].includes('the quick brown fox') ? 0 : 1;
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
  assert.equal(vote.conversation_a[0].content, 'Please echo: the quick brown fox');
  assert.equal(vote.conversation_a[1].content, texts[0]);
  assert.ok(echoSide === 0 ? vote.model_a === 'alpha-seven' : vote.model_b === 'alpha-seven');
  assert.deepEqual(errors, []);
  await context.close();
  await site.close();
});

test('a provider failing mid-answer shows the error and records no vote', async () => {
  await provider.reset();
  const site = await serveWith(twoContestants('slow-40', 'midstream-error-3+slow-40'));
  const { page, context } = await newPage(browser);
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

  // Regenerate asks both providers again.
  const before = (await provider.log()).filter((r) => r.method === 'POST').length;
  await page.getByTestId('regenerate').click();
  await error.waitFor({ timeout: 20_000 });
  const afterRetry = (await provider.log()).filter((r) => r.method === 'POST').length;
  assert.equal(afterRetry - before, 2, 'both sides were asked again');

  await shell.open('#/leaderboard');
  await page.getByTestId('vote-count').waitFor();
  assert.match(await page.getByTestId('vote-count').textContent(), /^0 votes stored\.$/);
  await context.close();
  await site.close();
});

test('a battle in progress survives a reload and can still be judged', async () => {
  const site = await serveWith(twoContestants('tokens-80+slow-25', 'tokens-80+slow-25'));
  const { page, errors, context } = await newPage(browser);
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/');
  await arena.ready();
  await arena.send('A long story, please');
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid^="response-"] .markdown')].every((m) => m.textContent.length > 20),
    null,
    { timeout: 20_000 },
  );
  await page.waitForTimeout(600); // the battle is written at most every 250 ms
  const before = [await arena.text('a'), await arena.text('b')];
  await page.reload();
  await arena.ready();
  await page.waitForFunction(() => document.querySelector('[data-testid="response-a"] .markdown')?.textContent.length > 0);
  const after = [await arena.text('a'), await arena.text('b')];
  for (const i of [0, 1]) {
    assert.ok(after[i].length > 0, 'restored text');
    assert.ok(before[i].startsWith(after[i]) || after[i].startsWith(before[i]), 'same answer');
  }
  assert.equal(await arena.modelName('a').count(), 0, 'still anonymous after the reload');
  assert.ok(!(await page.content()).includes('Alpha Seven'));
  await arena.waitForJudging(5_000);
  await arena.vote('tie').click();
  await arena.modelName('b').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
  await site.close();
});

test('a battle whose answer names a contestant is flagged in the export', async () => {
  const site = await serveWith(twoContestants('echo', 'echo'));
  const { page, context } = await newPage(browser, { acceptDownloads: true });
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
  await context.close();
  await site.close();
});
