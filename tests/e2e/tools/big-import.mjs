// Measurement, not part of the suite: imports a large file on the Data page of the release
// build (`dist/`) and prints how long it took and the peak resident memory of each Chromium
// process while it ran (Linux: read from /proc).
//
//     node tests/e2e/tools/big-import.mjs votes.jsonl [--rank]
//
// With --rank it then opens the Leaderboard page and waits for the ranking (the worker reads
// every vote back from IndexedDB), and reports that too.
import { readFileSync, readdirSync } from 'node:fs';
import { serveStatic } from '../support/static-server.mjs';
import { launch, newPage } from '../support/browser.mjs';

const file = process.argv[2];
const server = await serveStatic('dist');
const browser = await launch();
const { page } = await newPage(browser);
const perProcess = new Map();
const rss = () => {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium')) continue;
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      if (m) {
        total += Number(m[1]);
        const kind = (cmd.match(/--type=([a-z-]+)/) ?? [null, 'browser'])[1];
        const key = `${pid} ${kind}`;
        perProcess.set(key, Math.max(perProcess.get(key) ?? 0, Number(m[1])));
      }
    } catch { /* gone */ }
  }
  return total;
};
await page.goto(new URL("#/data", server.url).href);
await page.getByTestId('import-input').waitFor({ state: 'attached' });
const base = rss();
const before = new Map(perProcess);
let peak = base;
const timer = setInterval(() => { peak = Math.max(peak, rss()); }, 200);
const t0 = Date.now();
await page.getByTestId('import-input').setInputFiles(file);
await page.waitForFunction(() => {
  const input = document.querySelector('[data-testid="import-input"]');
  const status = document.querySelector('[data-testid="import-status"]')?.textContent ?? '';
  const error = document.querySelector('[data-testid="error-notice"]');
  return input && !input.disabled && (status.startsWith('Imported') || error);
}, null, { timeout: 1_500_000, polling: 1000 });
clearInterval(timer);
console.log(await page.getByTestId('import-status').textContent());
console.log(`import took ${((Date.now() - t0) / 1000).toFixed(1)} s; Chromium RSS before ${(base / 1024).toFixed(0)} MiB, peak so far ${(peak / 1024).toFixed(0)} MiB`);
if (process.argv.includes('--rank')) {
  const timer2 = setInterval(() => { peak = Math.max(peak, rss()); }, 200);
  const t1 = Date.now();
  await page.goto(new URL('#/leaderboard', server.url).href);
  await page.waitForFunction(() => /Ranked in/.test(document.querySelector('[data-testid="leaderboard-status"]')?.textContent ?? '')
    || document.querySelector('[data-testid="error-notice"]'), null, { timeout: 1_500_000, polling: 500 });
  clearInterval(timer2);
  const status = await page.getByTestId('leaderboard-status').textContent().catch(() => 'no status');
  console.log(`leaderboard after ${((Date.now() - t1) / 1000).toFixed(1)} s: ${status}; Chromium RSS peak ${(peak / 1024).toFixed(0)} MiB`);
}
for (const [key, kb] of perProcess) {
  console.log(`  ${key}: ${((before.get(key) ?? 0) / 1024).toFixed(0)} -> peak ${(kb / 1024).toFixed(0)} MiB`);
}
await browser.close();
await server.close();
