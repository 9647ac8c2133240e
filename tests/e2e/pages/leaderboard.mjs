// Page object for the Leaderboard page.
export class LeaderboardPage {
  constructor(page) {
    this.page = page;
  }

  root() {
    return this.page.getByTestId('leaderboard');
  }

  async generation() {
    return Number(await this.root().getAttribute('data-generation'));
  }

  /** Waits until a result newer than `after` is shown. */
  async waitForResult(after = 0, timeout = 30_000) {
    await this.page.waitForFunction((after) => {
      const el = document.querySelector('[data-testid="leaderboard"]');
      return el && el.dataset.state === 'ready' && Number(el.dataset.generation) > after;
    }, after, { timeout });
  }

  /** Runs `change` (a filter change) and waits for the answer to it. */
  async after(change) {
    const g = await this.generation();
    await change();
    await this.waitForResult(g);
  }

  /** Rows as { model, rating, rank, name }. */
  async rows() {
    return this.page.getByTestId('leaderboard-row').evaluateAll((rows) => rows.map((r) => ({
      model: r.dataset.model,
      rating: Number(r.dataset.rating),
      rank: Number(r.dataset.rank),
      name: r.querySelector('th').textContent,
      cells: [...r.querySelectorAll('td')].map((c) => c.textContent),
    })));
  }

  category(value) {
    return this.page.getByTestId('filter-category').selectOption(value);
  }
}
