// Launches Debian's Chromium through playwright-core (never a downloaded browser) and records
// every console error and page error, so specs can assert there were none.
//
// ARENA_E2E_CPU_THROTTLE=6 slows every page's CPU six times (Chromium's DevTools throttling,
// `Emulation.setCPUThrottlingRate`), to check that no spec depends on how fast the machine is.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const THROTTLE = Number(process.env.ARENA_E2E_CPU_THROTTLE ?? 1);

const ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

function executable() {
  const executablePath = CANDIDATES.find((p) => p && existsSync(p));
  if (!executablePath) throw new Error('Chromium not found: run `scripts/setup.sh test` or set CHROMIUM');
  return executablePath;
}

export async function launch() {
  const executablePath = executable();
  if (THROTTLE > 1) console.log(`# every page's CPU is throttled ${THROTTLE}x (ARENA_E2E_CPU_THROTTLE)`);
  return chromium.launch({ executablePath, headless: true, args: ARGS });
}

/**
 * A browser context on a profile kept in `dir` (what a judge's browser has), rather than the
 * off-the-record context `launch()`'s `newContext` gives, whose storage lives in memory.
 */
export async function launchProfile(dir) {
  return chromium.launchPersistentContext(dir, { executablePath: executable(), headless: true, args: ARGS });
}

/**
 * Applies ARENA_E2E_CPU_THROTTLE to a page, if it is set, and again after each navigation of
 * its main frame (a reload can start a new renderer, which would run unthrottled).
 */
async function throttle(page) {
  if (!(THROTTLE > 1)) return;
  const cdp = await page.context().newCDPSession(page);
  const apply = () => cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) apply().catch(() => {});
  });
  await apply();
}

/** A new page whose console errors and uncaught exceptions are collected in `errors`. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await throttle(page);
  // Pages the app opens itself (none today) are throttled too.
  context.on('page', (p) => { if (p !== page) throttle(p).catch(() => {}); });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** `newPage`, whose context is closed when test `t` ends, passed or failed. */
export async function pageFor(t, browser, options = {}) {
  const opened = await newPage(browser, options);
  t.after(() => opened.context.close());
  return opened;
}
