// Starts the loopback provider server (crates/arena-testserver) and stops it after the specs.
// Streams are synchronised with, never sampled: a model name with `pause-N` makes the server
// hold the stream after N tokens; `wait()` resolves once it is held (or aborted, or ended)
// and `release()` lets it go on (see the server's README).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const targetDir = process.env.CARGO_TARGET_DIR ?? 'target';
const BIN = process.env.ARENA_TESTSERVER ?? join(targetDir, 'debug', 'arena-testserver');

/** The server's answer when `echo` is not asked for (crates/arena-testserver/src/behaviour.rs). */
export const DEFAULT_TEXT = 'Hello from the arena test server! Héllo wörld — 你好 🎉';

/**
 * The text of the first `n` tokens the server sends for `text`: its words with their
 * trailing space, repeated as `tokens-N` repeats them.
 */
export function firstTokens(text, n) {
  const words = text.split(/(?<= )/);
  return Array.from({ length: n }, (_, i) => words[i % words.length]).join('');
}

/** Resolves to { url, log(), reset(), wait(), release(), releaseAll(), close() } once the server prints its address. */
export async function startTestServer(args = []) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`cargo build -p arena-testserver\``);
  const child = spawn(BIN, ['--addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((ok) => child.once('exit', ok));
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => ok(l.trim()));
    child.once('exit', (code) => fail(new Error(`arena-testserver exited with ${code}`)));
  });
  const post = async (path) => {
    const r = await fetch(`${url}${path}`, { method: 'POST' });
    return { status: r.status, body: await r.json() };
  };
  return {
    url,
    /** Every request the server saw, oldest first. */
    async log() { return (await (await fetch(`${url}/__log`)).json()).requests; },
    async reset() { await fetch(`${url}/__reset`, { method: 'POST' }); },
    /**
     * Waits until a stream of `model` (and `flavor`, if given) is in `state` — 'held' (at a
     * `pause-N`, or stalled), 'aborted' or 'ended' — and resolves to its log entry
     * ({ id, tokens_sent, … }). The server answers the moment it is; `timeoutMs` only
     * guards against a hang, and on it this throws with the requests the server saw.
     */
    async wait({ model, flavor, state = 'held', timeoutMs = 60_000 }) {
      const q = new URLSearchParams({ state, timeout_ms: String(timeoutMs) });
      if (model !== undefined) q.set('model', model);
      if (flavor !== undefined) q.set('flavor', flavor);
      const r = await fetch(`${url}/__wait?${q}`);
      const body = await r.json();
      if (r.status !== 200) {
        throw new Error(`arena-testserver: ${body.error}; requests: ${JSON.stringify(body.requests)}`);
      }
      return body;
    },
    /** Lets the stream with this log id go on from the pause it is held at. */
    async release(id) {
      const { status, body } = await post(`/__release/${id}`);
      if (status !== 200) throw new Error(`arena-testserver: ${body.error}`);
    },
    /** Lets every paused stream go on; resolves to how many there were. */
    async releaseAll() { return (await post('/__release')).body.released; },
    /** Stops the server; resolves once it has exited (at once if it already had). */
    close() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      return exited;
    },
  };
}
