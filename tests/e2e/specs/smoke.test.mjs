// The shell renders, every route loads, the config is read, and nothing logs an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
let browser;
let server;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await serveStatic(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const ROUTES = [
  ['Arena', '#/', 'Blind battle'],
  ['Side by side', '#/side-by-side', 'Side by side'],
  ['Leaderboard', '#/leaderboard', 'Leaderboard'],
  ['Models', '#/models', 'Models'],
  ['Data', '#/data', 'Data'],
  ['About', '#/about', 'About'],
];

test('every route renders its page from the navigation, with no console errors', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, server.url);
  await shell.open();
  for (const [label, hash, heading] of ROUTES) {
    await shell.nav(label).click();
    await page.waitForURL((u) => u.hash === hash);
    // The page swaps on `hashchange`, a moment after the URL changes.
    await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
    assert.equal(await shell.heading().textContent(), heading);
    assert.equal(await shell.nav(label).getAttribute('aria-current'), 'page');
    assert.match(await page.title(), new RegExp(`^${label} · `));
    await page.screenshot({ path: `${SHOTS}/route-${label.replace(/ /g, '-').toLowerCase()}.png`, fullPage: true });
  }
  assert.deepEqual(errors, []);
});

test('a deep link and an unknown route both render', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, server.url);
  await shell.open('#/leaderboard');
  assert.equal(await shell.heading().textContent(), 'Leaderboard');
  await page.getByTestId('vote-count').waitFor();
  assert.match(await page.getByTestId('vote-count').textContent(), /^0 votes stored\.$/);
  await shell.open('#/no-such-page');
  await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
  assert.equal(await shell.heading().textContent(), 'Page not found');
  assert.deepEqual(errors, []);
});

test('the shipped arena.json is loaded and its contestants are listed', async (t) => {
  const config = JSON.parse(readFileSync(`${DIST}/arena.json`, 'utf8'));
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, server.url);
  await shell.open('#/models');
  const rows = page.getByTestId('contestant-table').locator('tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), config.contestants.length);
  assert.equal(await rows.first().locator('td').first().textContent(), config.contestants[0].name);
  assert.ok((await page.title()).endsWith(config.title));
  assert.deepEqual(errors, []);
});

for (const [what, override, expected] of [
  ['missing', { status: 404, body: 'not found', type: 'text/plain' }, /HTTP 404/],
  ['not JSON', { body: '{"schema": 1,' }, /not a valid config/],
  ['holding a key', { body: '{"schema":1,"arena_id":"x","api_key":"sk-secret"}' }, /never hold API keys/],
]) {
  test(`an arena.json that is ${what} gives a clear message, not a blank page`, async (t) => {
    const alt = await serveStatic(DIST, '127.0.0.1', 0, { overrides: { '/arena.json': override } });
    t.after(() => alt.close());
    const { page } = await pageFor(t, browser);
    const shell = new Shell(page, alt.url);
    await shell.open('#/');
    const notice = page.getByTestId('error-notice');
    await notice.waitFor();
    assert.match(await notice.textContent(), expected);
    assert.doesNotMatch(await page.content(), /sk-secret/);
    await page.screenshot({ path: `${SHOTS}/config-${what.replace(/ /g, '-')}.png` });
  });
}

test('the theme switch cycles and is remembered across reloads', async (t) => {
  const { page, errors } = await pageFor(t, browser, { colorScheme: 'light' });
  const shell = new Shell(page, server.url);
  await shell.open('#/about');
  const root = page.locator('html');
  assert.equal(await root.getAttribute('data-theme'), 'system');
  await page.getByTestId('theme-toggle').click();
  assert.equal(await root.getAttribute('data-theme'), 'light');
  await page.getByTestId('theme-toggle').click();
  assert.equal(await root.getAttribute('data-theme'), 'dark');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 16, 32)');
  await page.screenshot({ path: `${SHOTS}/about-dark.png`, fullPage: true });
  await page.reload();
  await shell.open('#/about');
  assert.equal(await root.getAttribute('data-theme'), 'dark');
  assert.deepEqual(errors, []);
});

test('the page carries a strict Content-Security-Policy and runs no inline script', async (t) => {
  const html = readFileSync(`${DIST}/index.html`, 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)?.[1];
  assert.ok(csp, 'CSP meta tag present');
  for (const directive of ["object-src 'none'", "base-uri 'none'", "'wasm-unsafe-eval'"]) {
    assert.ok(csp.includes(directive), `CSP has ${directive}`);
  }
  assert.ok(!/script-src[^;]*'unsafe-inline'/.test(csp));
  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(([, attrs, body]) => !/\bsrc=/.test(attrs) || body.trim());
  assert.deepEqual(inline, [], 'no inline <script>');
});
