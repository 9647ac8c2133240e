// Starts the loopback provider server (crates/arena-testserver) and stops it after the specs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const targetDir = process.env.CARGO_TARGET_DIR ?? 'target';
const BIN = process.env.ARENA_TESTSERVER ?? join(targetDir, 'debug', 'arena-testserver');

/** Resolves to { url, log(), reset(), close() } once the server prints its address. */
export async function startTestServer(args = []) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`cargo build -p arena-testserver\``);
  const child = spawn(BIN, ['--addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => ok(l.trim()));
    child.once('exit', (code) => fail(new Error(`arena-testserver exited with ${code}`)));
  });
  return {
    url,
    /** Every request the server saw, oldest first. */
    async log() { return (await (await fetch(`${url}/__log`)).json()).requests; },
    async reset() { await fetch(`${url}/__reset`, { method: 'POST' }); },
    close() { child.kill(); return new Promise((r) => child.once('exit', r)); },
  };
}
