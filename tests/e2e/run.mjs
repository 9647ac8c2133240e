// Runs the end-to-end spec files one at a time, each in its own `node --test` process with
// a time limit, so a failure fails fast with its message and a hang cannot outlast CI:
//
//   node tests/e2e/run.mjs [SPEC_FILE...]        (default: every tests/e2e/specs/*.test.mjs)
//
// - each test has ARENA_E2E_TEST_TIMEOUT seconds (default 300; a test may set its own);
// - `--test-force-exit` ends a file's process once its tests have reported, even if a
//   failed test left a server or a browser running;
// - a watchdog kills a file's whole process group (node, Chromium, the provider server)
//   after ARENA_E2E_FILE_TIMEOUT seconds (default 1800: the local-model spec loads and runs
//   two real models, minutes on a busy two-core machine) and counts it as failed;
// - whatever a file's process leaves behind is killed when it exits.
// The limits only guard against hangs; no verdict depends on them.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SPECS = 'tests/e2e/specs';
const TEST_TIMEOUT_S = Number(process.env.ARENA_E2E_TEST_TIMEOUT ?? 300);
const FILE_TIMEOUT_S = Number(process.env.ARENA_E2E_FILE_TIMEOUT ?? 1800);
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(SPECS).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(SPECS, f));

let running = null;

/** Signals a process group; fine if it is already gone. */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if (e.code !== 'ESRCH') throw e;
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (running) killGroup(running.pid, 'SIGKILL');
    process.exit(130);
  });
}

/** Runs one spec file; resolves to { file, ok, seconds, why }. */
function runFile(file) {
  const started = Date.now();
  const child = spawn(process.execPath, [
    '--test', '--test-force-exit', `--test-timeout=${TEST_TIMEOUT_S * 1000}`, file,
  ], { stdio: 'inherit', detached: true });
  running = child;
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    console.error(`[e2e] ${file}: still running after ${FILE_TIMEOUT_S} s; killing it and what it started`);
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5_000).unref();
  }, FILE_TIMEOUT_S * 1000);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      running = null;
      // Chromium or the provider server left behind by a failed spec: gone now.
      killGroup(child.pid, 'SIGKILL');
      const seconds = (Date.now() - started) / 1000;
      const why = timedOut ? `timed out after ${FILE_TIMEOUT_S} s` : signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ file, ok: !timedOut && code === 0, seconds, why });
    });
  });
}

const results = [];
const t0 = Date.now();
for (const file of files) {
  console.log(`[e2e] ${file}`);
  results.push(await runFile(file));
}
console.log(`[e2e] ${files.length} spec files in ${((Date.now() - t0) / 1000).toFixed(1)} s:`);
for (const r of results) {
  console.log(`[e2e]   ${r.ok ? 'ok  ' : 'FAIL'} ${r.file} (${r.seconds.toFixed(1)} s)${r.ok ? '' : `: ${r.why}`}`);
}
const failed = results.filter((r) => !r.ok);
if (failed.length) {
  console.error(`[e2e] ${failed.length} spec file(s) failed`);
  process.exit(1);
}
