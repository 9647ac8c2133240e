// Import: a malformed file is refused with its line number and imports nothing; "skip bad
// lines" imports the rest; importing the same votes again (in any format) adds nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { writeFixtures } from '../support/fixtures.mjs';
import { Shell } from '../pages/shell.mjs';
import { DataPage } from '../pages/data.mjs';

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

async function storedVotes(shell, page) {
  await shell.open('#/leaderboard');
  const el = page.getByTestId('vote-count');
  await el.waitFor();
  return Number((await el.textContent()).match(/^(\d+) votes? stored\.$/)[1]);
}

test('a malformed file is refused with its line number and nothing is imported', async (t) => {
  const { page, errors } = await pageFor(t, browser, { colorScheme: 'light' });
  const shell = new Shell(page, server.url);
  await shell.open('#/data');
  const data = new DataPage(page);
  await data.import(files.malformed);
  const error = await data.error();
  assert.match(error, /Line 4: unknown winner label "model_c"\. Nothing was imported\./);
  await page.screenshot({ path: `${SHOTS}/data-malformed-light.png`, fullPage: true });
  assert.equal(await storedVotes(shell, page), 0);

  // With "skip bad lines" the other eight records go in, and both bad ones are reported.
  await shell.open('#/data');
  await data.setSkipBadLines(true);
  await data.import(files.malformed);
  assert.equal(await data.error(), null);
  assert.match(await data.status(), /^Imported malformed\.jsonl: 8 new votes, 0 already stored\. Skipped 2 bad records \(line 4: unknown winner label "model_c"; line 7: invalid JSON record: .+\)\.$/);
  await page.screenshot({ path: `${SHOTS}/data-skipped-light.png`, fullPage: true });
  assert.equal(await storedVotes(shell, page), 8);
  // Errors logged by the app itself would show here; the refused import logs none.
  assert.deepEqual(errors, []);
});

test('importing the same votes again adds nothing, whatever the format', async (t) => {
  const { page, errors } = await pageFor(t, browser, { colorScheme: 'dark' });
  const shell = new Shell(page, server.url);
  await shell.open('#/data');
  const data = new DataPage(page);
  await data.import(files.fastchatJson);
  assert.match(await data.status(), /: 400 new votes, 0 already stored\.$/);
  // The input is cleared after each import, so the same file can be chosen again.
  await data.import(files.fastchatJson);
  assert.match(await data.status(), /: 0 new votes, 400 already stored\.$/);
  // The same FastChat rows as JSON lines get the same content ids.
  await data.import(files.fastchatJsonl);
  assert.match(await data.status(), /^Imported clean_battle\.jsonl: 0 new votes, 400 already stored\.$/);
  await page.screenshot({ path: `${SHOTS}/data-dark.png`, fullPage: true });
  assert.equal(await storedVotes(shell, page), 400);
  assert.deepEqual(errors, []);
});
