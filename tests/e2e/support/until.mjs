// Waiting for a condition, for the few things that announce themselves neither in the DOM
// nor through the provider server (e.g. what the app wrote to IndexedDB). The time limit only
// guards against a hang; it never decides a verdict about speed.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves to the first truthy value `check()` gives, trying every `every` ms; after
 * `timeoutMs` throws "gave up waiting for: `what`", with the last value seen.
 */
export async function until(what, check, { timeoutMs = 60_000, every = 50 } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what} (last seen: ${JSON.stringify(last)})`);
    await sleep(every);
  }
}
