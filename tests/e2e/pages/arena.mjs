// Page object for the battle page.
export class ArenaPage {
  constructor(page) {
    this.page = page;
  }

  async ready() {
    await this.page.getByTestId('prompt-input').waitFor();
  }

  async send(prompt) {
    await this.page.getByTestId('prompt-input').fill(prompt);
    await this.page.getByTestId('send-button').click();
  }

  response(side) {
    return this.page.getByTestId(`response-${side}`);
  }

  async text(side) {
    return (await this.response(side).locator('.markdown').allTextContents()).map((t) => t.trim()).join('\n');
  }

  vote(which) {
    return this.page.getByTestId(`vote-${which}`);
  }

  /** Waits until both answers have finished (the vote buttons enable). */
  async waitForJudging(timeout = 30_000) {
    await this.page.waitForFunction(
      () => !document.querySelector('[data-testid="vote-a"]')?.disabled,
      null,
      { timeout },
    );
  }

  modelName(side) {
    return this.page.getByTestId(`model-name-${side}`);
  }
}
