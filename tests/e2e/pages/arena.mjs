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

  /** Both answers' text, A first. */
  async texts() {
    return [await this.text('a'), await this.text('b')];
  }

  /**
   * Waits until the two answers read `want`, in either order (a blind battle places the
   * contestants at random); on a timeout the error says what the page showed.
   */
  async waitForAnswers(want, timeout = 30_000) {
    const sorted = [...want].sort();
    try {
      await this.page.waitForFunction((w) => {
        const read = (side) => [...document.querySelectorAll(`[data-testid="response-${side}"] .markdown`)]
          .map((m) => m.textContent.trim()).join('\n');
        return JSON.stringify([read('a'), read('b')].sort()) === JSON.stringify(w);
      }, sorted, { timeout });
    } catch (e) {
      throw new Error(`answers ${JSON.stringify(await this.texts())}, wanted ${JSON.stringify(sorted)}: ${e.message}`);
    }
  }

  /** How many answers are still streaming. */
  streaming() {
    return this.page.locator('.answer.streaming').count();
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
