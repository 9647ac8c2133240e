// Page object for the Models page: contestants (add, edit, delete, test) and API keys.
export class ModelsPage {
  constructor(page, shell) {
    this.page = page;
    this.shell = shell;
  }

  async open() {
    await this.shell.open('#/models');
    await this.page.getByTestId('contestant-table').waitFor();
  }

  rows() {
    return this.page.getByTestId('contestant-row');
  }

  /** The row of the contestant with this display name. */
  row(name) {
    return this.rows().filter({ has: this.page.locator('td:first-child', { hasText: name }) });
  }

  /**
   * Sets a provider's key through the form; `place` is 'saved' or 'session'. Keys are scoped
   * to an address: the key is also set for every `preset@origin` entry the form offers (the
   * arena's contestants of that preset at other addresses, such as the test server).
   */
  async setKey(preset, key, place = 'saved') {
    const scoped = await this.page.getByTestId('key-preset').locator('option')
      .evaluateAll((os, p) => os.map((o) => o.value).filter((v) => v.startsWith(`${p}@`)), preset);
    for (const name of scoped) await this.setOneKey(name, key, place);
    await this.setOneKey(preset, key, place);
  }

  async setOneKey(preset, key, place) {
    await this.page.getByTestId('key-preset').selectOption(preset);
    await this.page.getByTestId('key-input').fill(key);
    await this.page.getByTestId('key-place').selectOption(place);
    await this.page.getByTestId('save-key').click();
    const want = place === 'session' ? 'this session only' : 'saved in this browser';
    await this.page.waitForFunction(
      ([p, w]) => document.querySelector(`[data-testid="key-row"][data-preset="${p}"] .key-place`)?.textContent === w,
      [preset, want],
    );
  }

  keyRow(preset) {
    return this.page.locator(`[data-testid="key-row"][data-preset="${preset}"]`);
  }

  /** Opens the editor for a new contestant and fills what is given. */
  async startAdding({ name, preset, baseUrl, model, temperature, maxTokens, weight, idle, system }) {
    await this.page.getByTestId('add-contestant').click();
    await this.fill({ name, preset, baseUrl, model, temperature, maxTokens, weight, idle, system });
  }

  async fill({ name, preset, baseUrl, model, temperature, maxTokens, weight, idle, system }) {
    const form = this.page.getByTestId('contestant-form');
    await form.waitFor();
    if (preset !== undefined) await form.getByTestId('preset-select').selectOption(preset);
    if (name !== undefined) await form.getByTestId('contestant-name').fill(name);
    if (baseUrl !== undefined) await form.getByTestId('base-url-input').fill(baseUrl);
    if (model !== undefined) await form.getByTestId('model-input').fill(model);
    if (temperature !== undefined) await form.getByTestId('temperature-input').fill(String(temperature));
    if (maxTokens !== undefined) await form.getByTestId('max-tokens-input').fill(String(maxTokens));
    if (weight !== undefined) await form.getByTestId('weight-input').fill(String(weight));
    if (idle !== undefined) await form.getByTestId('idle-timeout-input').fill(String(idle));
    if (system !== undefined) await form.getByTestId('system-prompt-input').fill(system);
  }

  async save() {
    await this.page.getByTestId('save-contestant').click();
  }

  /** Adds a contestant and waits for its row. */
  async add(fields) {
    await this.startAdding(fields);
    await this.save();
    await this.row(fields.name).waitFor();
  }

  /** Runs "Test connection" on a contestant and returns its result element once shown. */
  async testConnection(name) {
    const row = this.row(name);
    await row.getByTestId('test-connection').click();
    const result = row.getByTestId('connection-result');
    await result.waitFor({ timeout: 20_000 });
    return result;
  }
}
