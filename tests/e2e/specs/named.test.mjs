// Side by side (named) battles and direct chat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';
import { ArenaPage } from '../pages/arena.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const HELD = 'pause-2';
let browser;
let provider;
let site;

before(async () => {
  provider = await startTestServer();
  browser = await launch();
  const contestants = [
    { id: 'alpha-seven', name: 'Alpha Seven', provider: 'openai-compatible', preset: 'vllm', base_url: `${provider.url}/vllm/v1`, model: 'echo' },
    { id: 'beta-nine', name: 'Beta Nine', provider: 'openai-compatible', preset: 'llamacpp', base_url: `${provider.url}/llamacpp/v1`, model: 'slow-30' },
    // Held after two tokens until released: stopped mid-answer, whatever the machine's speed.
    { id: 'gamma-held', name: 'Gamma Held', provider: 'openai-compatible', preset: 'vllm', base_url: `${provider.url}/vllm/v1`, model: HELD },
  ];
  site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: JSON.stringify({ schema: 1, arena_id: 'named', contestants }) } },
  });
});

after(async () => {
  await browser?.close();
  await provider?.close();
  await site?.close();
});

test('a side-by-side vote shows names throughout and is stored as non-anonymous', async (t) => {
  const { page, errors } = await pageFor(t, browser, { acceptDownloads: true });
  const shell = new Shell(page, site.url);
  const arena = new ArenaPage(page);
  await shell.open('#/side-by-side');
  await page.getByTestId('pick-a').selectOption('beta-nine');
  await page.getByTestId('pick-b').selectOption('alpha-seven');
  await arena.send('Named comparison');
  // Names are shown from the start in this mode.
  await page.locator('.model-name', { hasText: 'Beta Nine' }).waitFor();
  await arena.waitForJudging();
  await arena.vote('b').click();
  await arena.modelName('a').waitFor();
  assert.equal(await arena.modelName('a').textContent(), 'Beta Nine');
  await shell.open('#/data');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()]);
  const [vote] = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(vote.anony, false);
  assert.equal(vote.model_a, 'beta-nine');
  assert.equal(vote.winner, 'model_b');
  assert.deepEqual(errors, []);
});

test('direct chat keeps the conversation and stop ends an answer', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  await shell.open('#/side-by-side');
  await page.getByTestId('tab-chat').click();
  await page.getByTestId('chat-pick').selectOption('alpha-seven');
  const input = page.getByTestId('prompt-input');
  await input.fill('first message');
  await input.press('Enter');
  const log = page.getByTestId('chat-log');
  await log.getByText('first message').nth(1).waitFor(); // the prompt and its echo
  await input.fill('second message');
  await input.press('Enter');
  await log.getByText('second message').nth(1).waitFor();
  // The echo of turn two proves the history went with it (the server echoes the last message).
  assert.equal(await log.locator('.turn').count(), 2);

  await page.getByTestId('chat-pick').isDisabled();
  await page.getByTestId('chat-clear').click();
  await page.getByTestId('chat-pick').selectOption('gamma-held');
  await provider.reset();
  await input.fill('talk slowly');
  await input.press('Enter');
  // Stop while the server holds the answer after its first two tokens.
  const held = await provider.wait({ model: HELD });
  await log.getByText('Hello from').waitFor();
  await page.getByTestId('chat-stop').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="chat-stop"]'));
  // The server saw the client go away mid-stream, at the pause.
  const aborted = await provider.wait({ model: HELD, state: 'aborted' });
  assert.equal(aborted.id, held.id);
  assert.equal(aborted.tokens_sent, 2);
  assert.deepEqual(errors, []);
});
