// Page object for the Data page: import and exports.
export class DataPage {
  constructor(page) {
    this.page = page;
  }

  async ready() {
    await this.page.getByTestId('import-input').waitFor({ state: 'attached' });
  }

  async setSkipBadLines(on) {
    await this.page.getByTestId('import-skip-bad').setChecked(on);
  }

  /** Imports a file and waits until the import has finished (or failed). */
  async import(path) {
    await this.page.getByTestId('import-input').setInputFiles(path);
    await this.page.waitForFunction(() => {
      const input = document.querySelector('[data-testid="import-input"]');
      const status = document.querySelector('[data-testid="import-status"]')?.textContent ?? '';
      const error = document.querySelector('[data-testid="error-notice"]');
      return input && !input.disabled && (status.startsWith('Imported') || error);
    }, null, { timeout: 60_000 });
  }

  status() {
    return this.page.getByTestId('import-status').textContent();
  }

  async error() {
    const e = this.page.getByTestId('error-notice');
    return (await e.count()) ? e.first().textContent() : null;
  }

  /** Clicks an export button; resolves to { name, text } of the downloaded file. */
  async export(testId) {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByTestId(testId).click(),
    ]);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
  }
}
