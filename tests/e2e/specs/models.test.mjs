// The Models page through the real UI against the loopback provider server: the config's
// contestants are read-only; the judge adds, edits and deletes their own (model picked from
// the provider's list), they survive a reload and join battles; "Test connection" says what
// is wrong in plain words; keys are saved, session-only or deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { startTestServer } from '../support/testserver.mjs';
import { launch, pageFor } from '../support/browser.mjs';
import { Shell } from '../pages/shell.mjs';
import { ModelsPage } from '../pages/models.mjs';

const DIST = process.env.ARENA_DIST ?? 'dist';
const SHOTS = 'target/screenshots';
const KEY = 'sk-e2e-models-5d1f';
let browser;

/** A full-page screenshot from the top (a scrolled page would show the sticky header mid-way). */
async function shot(page, path) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
}
let provider;
let site;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  provider = await startTestServer(['--key', KEY]);
  browser = await launch();
  const config = {
    schema: 1, arena_id: 'e2e-models', title: 'Models arena', efficient_pairing: false,
    contestants: [
      { id: 'house-echo', name: 'House Echo', provider: 'openai-compatible', preset: 'vllm',
        base_url: `${provider.url}/vllm/v1`, model: 'echo', params: { temperature: 0.2 } },
      { id: 'house-nocors', name: 'House LM Studio', provider: 'openai-compatible', preset: 'lmstudio',
        base_url: `${provider.url}/lmstudio-nocors/v1`, model: 'echo' },
      { id: 'house-ollama', name: 'House Ollama', provider: 'ollama',
        base_url: `${provider.url}/ollama-strict`, model: 'echo' },
    ],
  };
  site = await serveStatic(DIST, '127.0.0.1', 0, {
    overrides: { '/arena.json': { body: JSON.stringify(config) } },
  });
});

after(async () => {
  await browser?.close();
  await provider?.close();
  await site?.close();
});

async function setTheme(page, theme) {
  await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
}

test('config contestants are read-only; own contestants are added, edited, kept and deleted', async (t) => {
  const { page, errors } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const models = new ModelsPage(page, shell);
  await models.open();

  assert.equal(await models.rows().count(), 3);
  for (const name of ['House Echo', 'House LM Studio', 'House Ollama']) {
    const row = models.row(name);
    assert.equal(await row.getAttribute('data-source'), 'config');
    assert.match(await row.textContent(), /arena\.json/);
    assert.equal(await row.getByTestId('edit-contestant').count(), 0, `${name} cannot be edited`);
    assert.equal(await row.getByTestId('delete-contestant').count(), 0, `${name} cannot be deleted`);
  }
  assert.match(await models.row('House Echo').textContent(), /temperature 0\.2/);
  // Each row says where its requests, and so its provider's key, go.
  assert.ok((await models.row('House Echo').textContent()).includes(new URL(provider.url).host));

  // Bad input is refused field by field, in words.
  await models.startAdding({ name: '', model: '', temperature: 'hot', weight: '-2' });
  await models.save();
  const fieldErrors = page.getByTestId('field-error');
  await fieldErrors.first().waitFor();
  const fields = await fieldErrors.evaluateAll((els) => els.map((e) => e.dataset.field));
  assert.deepEqual(fields.sort(), ['model', 'name', 'temperature', 'weight']);
  assert.match(await page.locator('[data-field="temperature"]').textContent(), /from 0 to 2/);
  assert.equal(await models.rows().count(), 3, 'nothing saved');

  // The preset fills its default base URL, and follows the preset until the judge types one.
  const form = page.getByTestId('contestant-form');
  assert.equal(await form.getByTestId('base-url-input').inputValue(), 'https://api.openai.com/v1');
  await form.getByTestId('preset-select').selectOption('groq');
  assert.equal(await form.getByTestId('base-url-input').inputValue(), 'https://api.groq.com/openai/v1');
  await form.getByTestId('preset-select').selectOption('vllm');
  assert.equal(await form.getByTestId('base-url-input').inputValue(), 'http://localhost:8000/v1');
  const labels = await form.getByTestId('preset-select').locator('option').allTextContents();
  assert.equal(labels.length, 14, `every preset is offered: ${labels}`);
  for (const l of ['OpenAI', 'Anthropic', 'Google Gemini', 'Ollama', 'Mistral', 'OpenRouter', 'LM Studio']) {
    assert.ok(labels.includes(l), `preset ${l} offered`);
  }

  // The model is picked from the provider's list.
  await models.fill({ name: 'My vLLM', baseUrl: `${provider.url}/vllm/v1`, temperature: '', weight: '2' });
  await form.getByTestId('load-models').click();
  const picker = form.getByTestId('model-select');
  await picker.waitFor();
  const listed = await picker.locator('option').allTextContents();
  assert.ok(listed.includes('echo') && listed.some((m) => m.startsWith('slow')), `listed: ${listed}`);
  await picker.selectOption('echo');
  assert.equal(await form.getByTestId('model-input').inputValue(), 'echo');
  await models.fill({ maxTokens: '64', system: 'Answer briefly.' });
  await models.save();
  await models.row('My vLLM').waitFor();
  const mine = models.row('My vLLM');
  assert.equal(await mine.getAttribute('data-source'), 'user');
  assert.equal(await mine.getAttribute('data-id'), 'my-vllm');
  assert.match(await mine.textContent(), /vLLM.*echo.*max 64 tokens · system prompt.*2\.00.*yours/s);
  await shot(page, `${SHOTS}/models-light.png`);

  // It is stored: a reload keeps it; editing changes it in place.
  await page.reload();
  await models.row('My vLLM').waitFor();
  await models.row('My vLLM').getByTestId('edit-contestant').click();
  assert.equal(await form.getByTestId('model-input').inputValue(), 'echo');
  assert.equal(await form.getByTestId('max-tokens-input').inputValue(), '64');
  await models.fill({ name: 'My vLLM (warm)', temperature: '1.1' });
  await models.save();
  await models.row('My vLLM (warm)').waitFor();
  assert.equal(await models.rows().count(), 4);
  assert.equal(await models.row('My vLLM (warm)').getAttribute('data-id'), 'my-vllm', 'the id stays');
  assert.match(await models.row('My vLLM (warm)').textContent(), /temperature 1\.1/);

  // It joins battles: the side-by-side pickers offer it.
  await shell.open('#/side-by-side');
  await page.getByTestId('pick-a').waitFor();
  const options = await page.getByTestId('pick-a').locator('option').allTextContents();
  assert.deepEqual(options, ['House Echo', 'House LM Studio', 'House Ollama', 'My vLLM (warm)']);

  // Deleting asks once more, then removes it.
  await models.open();
  const del = models.row('My vLLM (warm)').getByTestId('delete-contestant');
  await del.click();
  assert.equal((await del.textContent()).trim(), 'Really delete?');
  assert.equal(await models.rows().count(), 4, 'the first click only asks');
  await del.click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="contestant-row"]').length === 3);
  await page.reload();
  await models.rows().first().waitFor();
  assert.equal(await models.rows().count(), 3);
  assert.deepEqual(errors, []);
});

test('test connection says in plain words what works and what to fix', async (t) => {
  await provider.reset();
  const { page } = await pageFor(t, browser);
  const shell = new Shell(page, site.url);
  const models = new ModelsPage(page, shell);
  await models.open();

  const ok = await models.testConnection('House Echo');
  assert.equal(await ok.getAttribute('data-outcome'), 'ok');
  assert.match(await ok.textContent(), /Connected: .*\/vllm\/v1 answered and lists \d+ models, including this one\./);

  // CORS switched off (LM Studio) and an origin Ollama does not allow: the provider's fix.
  const nocors = await models.testConnection('House LM Studio');
  assert.equal(await nocors.getAttribute('data-kind'), 'network');
  assert.match(await nocors.textContent(), /could not be reached/);
  assert.match(await nocors.textContent(), /Enable CORS/);
  const ollama = await models.testConnection('House Ollama');
  assert.equal(await ollama.getAttribute('data-kind'), 'network');
  assert.match(await ollama.textContent(), new RegExp(`OLLAMA_ORIGINS=${new URL(site.url).origin}`));

  // A keyed provider: no key, a wrong key, then the right one.
  await models.add({ name: 'Keyed OpenAI', preset: 'openai', baseUrl: `${provider.url}/openai/v1`, model: 'echo' });
  const missing = await models.testConnection('Keyed OpenAI');
  assert.equal(await missing.getAttribute('data-outcome'), 'failed');
  assert.match(await missing.textContent(), /No API key is set for this provider/);
  await models.setKey('openai', 'sk-wrong-key-000');
  const wrong = await models.testConnection('Keyed OpenAI');
  assert.equal(await wrong.getAttribute('data-kind'), 'bad-key');
  assert.match(await wrong.textContent(), /The API key was refused\..*Check the key/s);
  assert.ok(!(await wrong.textContent()).includes('sk-wrong-key-000'), 'the key is not echoed');
  await models.setKey('openai', KEY, 'session');
  assert.match(await models.keyRow('openai').textContent(), /this session only/);
  const right = await models.testConnection('Keyed OpenAI');
  assert.equal(await right.getAttribute('data-outcome'), 'ok', await right.textContent());

  // A model the provider does not list is a warning, not a failure.
  await models.row('Keyed OpenAI').getByTestId('edit-contestant').click();
  await models.fill({ model: 'no-such-model-xyz' });
  await models.save();
  await page.waitForFunction(() => !document.querySelector('[data-testid="contestant-form"]'));
  const warn = await models.testConnection('Keyed OpenAI');
  assert.equal(await warn.getAttribute('data-outcome'), 'warn');
  assert.match(await warn.textContent(), /does not include “no-such-model-xyz”/);
  await shot(page, `${SHOTS}/models-connection-light.png`);
  await setTheme(page, 'dark');
  await shot(page, `${SHOTS}/models-connection-dark.png`);

  // Session keys are gone after a reload; a saved key stays until deleted.
  await page.reload();
  await models.rows().first().waitFor();
  await page.getByTestId('no-keys').waitFor();
  await models.setKey('openai', KEY, 'saved');
  await page.reload();
  await models.keyRow('openai').waitFor();
  assert.match(await models.keyRow('openai').textContent(), /saved in this browser/);
  // The key was also set for the test server's address (keys are scoped by address).
  const names = await page.getByTestId('key-row').evaluateAll((rs) => rs.map((r) => r.dataset.preset));
  assert.deepEqual(names.filter((n) => n.startsWith('openai')).length, 2, `${names}`);
  for (const name of names) {
    await models.keyRow(name).getByTestId('delete-key').click();
    await models.keyRow(name).waitFor({ state: 'detached' });
  }
  await page.getByTestId('no-keys').waitFor();
  await page.reload();
  await page.getByTestId('no-keys').waitFor();

  // The editor's key reminder, in dark mode too.
  await page.getByTestId('add-contestant').click();
  await models.fill({ preset: 'anthropic', name: 'Claude-ish' });
  await page.getByTestId('key-missing').waitFor();
  assert.match(await page.getByTestId('key-missing').textContent(), /Anthropic needs an API key/);
  await setTheme(page, 'dark');
  await shot(page, `${SHOTS}/models-editor-dark.png`);
  await setTheme(page, 'light');
  await shot(page, `${SHOTS}/models-editor-light.png`);

  // Model lists were requested with the key in a header, never in the URL.
  for (const r of await provider.log()) assert.ok(!r.path.includes(KEY) && !r.key_in_url, r.path);
});
