// The leaderboard ranks imported votes exactly as the `arena` CLI does on the same file,
// filters change it (each filter again matching the CLI), and it reads in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { writeFixtures } from '../support/fixtures.mjs';
import { cliLeaderboard } from '../support/cli.mjs';
import { Shell } from '../pages/shell.mjs';
import { DataPage } from '../pages/data.mjs';
import { LeaderboardPage } from '../pages/leaderboard.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
let browser;
let server;
let files;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  files = writeFixtures();
  server = await serveStatic(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Each app row has the CLI's rating (to 0.01), rank and interval, in the CLI's order. */
function assertSameAsCli(rows, cli, what) {
  assert.equal(rows.length, cli.length, `${what}: model count`);
  rows.forEach((row, i) => {
    const c = cli[i];
    assert.equal(row.model, c.model, `${what}: row ${i} model`);
    assert.ok(Math.abs(row.rating - c.rating) <= 0.01, `${what}: ${c.model} rating ${row.rating} vs CLI ${c.rating}`);
    assert.equal(row.rank, c.rank_ub, `${what}: ${c.model} rank`);
    // The CI column, +x / −y to one decimal, is the CLI's interval.
    const plus = (c.ci_upper - c.rating).toFixed(1);
    const minus = (c.rating - c.ci_lower).toFixed(1);
    assert.equal(row.cells[2], `+${plus} / \u2212${minus}`, `${what}: ${c.model} interval`);
  });
}

test('imported votes are ranked as the CLI ranks them, under every filter', async (t) => {
  const { page, errors } = await pageFor(t, browser, { colorScheme: 'light' });
  const shell = new Shell(page, server.url);
  await shell.open('#/data');
  const data = new DataPage(page);
  await data.ready();
  await data.import(files.fastchatJson);
  assert.match(await data.status(), /^Imported clean_battle\.json: 400 new votes, 0 already stored\.$/);

  await shell.open('#/leaderboard');
  const lb = new LeaderboardPage(page);
  await lb.waitForResult();
  assert.match(await page.getByTestId('vote-count').textContent(), /^400 votes stored\.$/);
  const base = await lb.rows();
  assertSameAsCli(base, cliLeaderboard([files.fastchatJson]), 'default');
  // Display names come from arena.json; other ids are shown as they are.
  const config = JSON.parse(readFileSync(`${DIST}/arena.json`, 'utf8'));
  const smol = base.find((r) => r.model === 'smollm2-135m');
  assert.equal(smol.name, config.contestants.find((c) => c.id === 'smollm2-135m').name);
  assert.equal(base.find((r) => r.model === 'claude-2.1').name, 'claude-2.1');
  // CI as +x / −y, and the win rate as a percentage.
  assert.match(smol.cells[2], /^\+\d+\.\d \/ \u2212\d+\.\d$/);
  assert.match(smol.cells[5], /^\d+\.\d %$/);
  // The summary says what the default filters left out (named and flagged votes).
  assert.match(await page.getByTestId('filter-summary').textContent(), /^\d+ of 400 votes rated\. Left out: \d+ flagged as identity leaks, \d+ side-by-side \(named\)\.$/);
  for (const id of ['ci-plot', 'heatmap-win-fraction', 'heatmap-predicted', 'heatmap-battles']) {
    assert.equal(await page.getByTestId(id).count(), 1, id);
  }
  assert.equal(await page.getByTestId('ci-plot').locator('.ci-row').count(), base.length);
  await page.screenshot({ path: `${SHOTS}/leaderboard-light.png`, fullPage: true });

  const cases = [
    ['category math', () => lb.category('math'), ['--category', 'math']],
    ['multi-turn', () => lb.category('multi-turn'), ['--category', 'multi-turn']],
    ['flagged included', async () => { await lb.category(''); await page.getByTestId('filter-flagged').check(); }, ['--include-flagged']],
    ['named included too', () => page.getByTestId('filter-named').check(), ['--include-flagged', '--include-named']],
    ['bootstrap 100', async () => {
      await page.getByTestId('filter-flagged').uncheck();
      await page.getByTestId('filter-named').uncheck();
      await page.getByTestId('filter-ci').selectOption('bootstrap');
    }, ['--bootstrap', '100']],
    ['bootstrap 37 rounds', () => page.getByTestId('filter-rounds').fill('37').then(() => page.getByTestId('filter-rounds').press('Enter')), ['--bootstrap', '37']],
    ['style control', async () => {
      await page.getByTestId('filter-ci').selectOption('sandwich');
      await page.getByTestId('filter-style').check();
    }, ['--style-control']],
  ];
  for (const [what, change, args] of cases) {
    await lb.after(change);
    const rows = await lb.rows();
    assertSameAsCli(rows, cliLeaderboard([files.fastchatJson], args), what);
    // The bootstrap keeps the ratings (the fit on all data) and changes the intervals.
    assert.notDeepEqual(rows.map((r) => r.cells), base.map((r) => r.cells), `${what} changes the table`);
  }
  assert.equal(await page.getByTestId('style-coefficients').locator('tbody tr').count(), 4);

  await page.getByTestId('theme-toggle').click();
  await page.getByTestId('theme-toggle').click();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  await page.screenshot({ path: `${SHOTS}/leaderboard-dark.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('with no votes the page says so, and a filter that leaves nothing says why', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, server.url);
  await shell.open('#/leaderboard');
  const lb = new LeaderboardPage(page);
  await lb.waitForResult();
  await page.getByTestId('leaderboard-empty').waitFor();
  assert.equal(await page.getByTestId('leaderboard-table').count(), 0);
  await page.screenshot({ path: `${SHOTS}/leaderboard-empty.png` });

  await shell.open('#/data');
  await new DataPage(page).import(files.fastchatJson);
  await shell.open('#/leaderboard');
  await lb.waitForResult();
  await lb.after(() => lb.category('long-query'));
  assert.match(await page.getByTestId('leaderboard-nothing').textContent(), /no battles left to rate/);
  assert.deepEqual(errors, []);
});
