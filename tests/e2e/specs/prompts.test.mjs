// The prompt library: pick a prompt, save your own, import and export prompt sets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const FIXTURE = 'tests/e2e/fixtures/prompt-sets.json';
let browser;
let server;

before(async () => {
  server = await serveStatic(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('prompts are picked, saved, imported and exported', async (t) => {
  const { page, errors } = await pageFor(t, browser, { acceptDownloads: true });
  const shell = new Shell(page, server.url);
  await shell.open('#/');
  const library = page.getByTestId('prompt-library');
  await library.locator('summary').click();

  // Built-in sets for every category; picking one fills the composer.
  const builtin = library.locator('[data-set="builtin-math"] .prompt-pick').first();
  const text = await builtin.textContent();
  await builtin.click();
  assert.equal(await page.getByTestId('prompt-input').inputValue(), text);
  assert.equal(await page.getByTestId('category-select').inputValue(), 'math');

  // The random prompt button fills the composer with some built-in prompt.
  await page.getByTestId('prompt-input').fill('');
  await page.getByTestId('random-prompt').click();
  assert.ok((await page.getByTestId('prompt-input').inputValue()).length > 10);

  // Own prompts persist across a reload.
  await library.getByLabel('New prompt').fill('What is my favourite test prompt?');
  await page.getByTestId('prompt-add').click();
  await library.locator('[data-set="my-prompts"]').waitFor();
  await page.reload();
  await shell.open('#/');
  await page.getByTestId('prompt-library').locator('summary').click();
  assert.match(await page.locator('[data-set="my-prompts"]').textContent(), /favourite test prompt/);

  // Import a prompt-set file.
  await page.getByTestId('prompt-import').setInputFiles(FIXTURE);
  await page.locator('[data-set="team-onboarding"]').waitFor();
  assert.match(await page.getByRole('status').filter({ hasText: 'Imported' }).textContent(), /2 set\(s\) with 3 prompts/);

  // A broken file is refused and imports nothing.
  await page.getByTestId('prompt-import').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"id": 1') });
  await page.getByText(/Nothing was imported/).waitFor();

  // Export: every set, parseable, including the imported and own ones.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('prompt-export').click()]);
  const sets = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const ids = sets.map((s) => s.id);
  for (const id of ['builtin-coding', 'builtin-math', 'team-onboarding', 'puzzles', 'my-prompts']) assert.ok(ids.includes(id), id);
  const imported = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  assert.deepEqual(sets.find((s) => s.id === 'puzzles').prompts, imported[1].prompts);
  assert.deepEqual(errors, []);
});
