// Starts the real sync server (`arena serve`, crates/arena-cli) on a loopback port with a
// SQLite file in a temporary directory, and stops it after the specs.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const targetDir = process.env.CARGO_TARGET_DIR ?? 'target';
const BIN = process.env.ARENA_CLI ?? join(targetDir, 'debug', 'arena');

/**
 * Resolves to { url, token, readToken, push(), votes(), log(), close() } once the server prints
 * its address. `origins` are the pages allowed to call it (CORS); `token` is its write token,
 * `readToken` its read-only one.
 */
export async function startArenaServe({ origins = [], token = 'e2e-write-token', readToken = 'e2e-read-token' } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`cargo build -p arena-cli\``);
  const dir = mkdtempSync(join(tmpdir(), 'arena-serve-'));
  const args = ['serve', '--addr', '127.0.0.1:0', '--db', `sqlite:${join(dir, 'votes.db')}`];
  for (const o of origins) args.push('--allow-origin', o.replace(/\/$/, ''));
  const log = [];
  const child = spawn(BIN, args, {
    env: { ...process.env, ARENA_WRITE_TOKEN: token, ARENA_READ_TOKEN: readToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.on('data', (d) => log.push(String(d)));
  const exited = new Promise((ok) => child.once('exit', ok));
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => {
      const m = l.trim().match(/^arena serve: listening on (\S+)$/);
      if (m) ok(m[1]); else fail(new Error(`arena serve said: ${l}`));
    });
    child.once('exit', (code) => fail(new Error(`arena serve exited with ${code}: ${log.join('')}`)));
  });
  const auth = { authorization: `Bearer ${token}` };
  return {
    url,
    token,
    readToken,
    /** Pushes records as a client would; resolves to the server's answer. */
    async push(votes) {
      const r = await fetch(`${url}/v1/votes`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ votes }),
      });
      if (r.status !== 200) throw new Error(`push: HTTP ${r.status}: ${await r.text()}`);
      return r.json();
    },
    /** The server's request log so far (stderr). */
    log: () => log.join(''),
    /** Every stored vote, paged through by cursor as a client would. */
    async votes() {
      const all = [];
      let after = '';
      for (;;) {
        const r = await fetch(`${url}/v1/votes?after=${after}&limit=1000`, { headers: auth });
        if (r.status !== 200) throw new Error(`pull: HTTP ${r.status}`);
        const page = await r.json();
        all.push(...page.votes);
        after = page.next;
        if (!page.has_more) return all;
      }
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
