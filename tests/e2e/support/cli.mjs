// Runs the real `arena` CLI (crates/arena-cli), the independent implementation the app's
// leaderboard is compared with.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const targetDir = process.env.CARGO_TARGET_DIR ?? 'target';
const BIN = process.env.ARENA_CLI ?? join(targetDir, 'debug', 'arena');

/** `arena leaderboard FILES --format json ARGS…`, parsed. */
export function cliLeaderboard(files, args = []) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`cargo build -p arena-cli\``);
  const out = execFileSync(BIN, ['leaderboard', ...files, '--format', 'json', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out);
}

/**
 * `arena llm generate --model MODEL --prompt PROMPT ARGS…`: the native engine's answer (the
 * CLI prints it and one newline), the reference for the browser worker's greedy answers.
 */
export function cliGenerate(model, prompt, args = []) {
  if (!existsSync(BIN)) throw new Error(`${BIN} not found: run \`cargo build -p arena-cli\``);
  const out = execFileSync(BIN, ['llm', 'generate', '--model', model, '--prompt', prompt, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 24,
  });
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}
