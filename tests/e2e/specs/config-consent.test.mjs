// `?config=URL`: a config on the page's own origin is used at once; one from another origin
// only after the judge confirms it (it decides where prompts and votes go).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const foreignConfig = JSON.stringify({
  schema: 1, arena_id: 'foreign', title: 'Foreign arena',
  contestants: [{ id: 'far', name: 'Far Away Model', provider: 'openai', model: 'x' }],
});
const sameConfig = JSON.stringify({ schema: 1, arena_id: 'alt', title: 'Alternative arena' });
let browser;
let site;
let foreign;

before(async () => {
  browser = await launch();
  site = await serveStatic(DIST, '127.0.0.1', 0, { overrides: { '/alt.json': { body: sameConfig } } });
  foreign = await serveStatic(DIST, '127.0.0.1', 0, { overrides: { '/arena.json': { body: foreignConfig, cors: true } } });
});

after(async () => {
  await browser?.close();
  await site?.close();
  await foreign?.close();
});

test('a config from another origin waits for consent, and declining keeps the own arena', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const url = `${foreign.url}arena.json`;
  await page.goto(`${site.url}?config=${encodeURIComponent(url)}#/models`);
  await page.getByTestId('config-consent').waitFor();
  assert.equal(await page.getByTestId('config-consent-url').textContent(), url);
  assert.ok(!foreign.requests.includes('/arena.json'), 'nothing is fetched before consent');
  await page.screenshot({ path: 'target/screenshots/config-consent.png' });
  await page.getByTestId('config-decline').click();
  await page.getByTestId('contestant-table').waitFor().catch(() => {});
  await page.waitForFunction(() => document.title.endsWith('Arena'));
  assert.ok(!foreign.requests.includes('/arena.json'), 'declined: never fetched');
  assert.equal(await page.getByTestId('config-consent').count(), 0);
  assert.deepEqual(errors, []);
});

test('accepting a foreign config loads it', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  await page.goto(`${site.url}?config=${encodeURIComponent(`${foreign.url}arena.json`)}#/models`);
  await page.getByTestId('config-accept').click();
  await page.waitForFunction(() => document.title.endsWith('Foreign arena'));
  await page.getByText('Far Away Model').first().waitFor();
  assert.ok(foreign.requests.includes('/arena.json'));
  assert.deepEqual(errors, []);
});

test('a config on the same origin is used without asking', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  await page.goto(`${site.url}?config=alt.json#/about`);
  await page.waitForFunction(() => document.title.endsWith('Alternative arena'));
  assert.equal(await page.getByTestId('config-consent').count(), 0);
  assert.deepEqual(errors, []);
});
