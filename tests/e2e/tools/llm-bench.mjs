// The local engine's wasm CPU path beside wllama (llama.cpp in wasm, @wllama/wllama) in the
// same headless Chromium, on the same GGUF files, one thread each, both asked the same chat
// message with greedy sampling. Per engine and model, on a fresh profile on disk: load from
// the network (into the engine's browser cache), answer, then load again from that cache in a
// new worker (as after a reload) and answer again. Prints medians of prefill and decode
// speed, time to first token, both load times, the wasm heap (ours) and the tab's peak
// resident memory (the renderer process and its workers). Run after `make build`:
//   node tests/e2e/tools/llm-bench.mjs [--tokens 64] [--runs 3]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../support/static-server.mjs';
import { launchProfile } from '../support/browser.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const arg = (name, d) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : d; };
const nPredict = arg('--tokens', 64);
const runs = arg('--runs', 3);
const models = ['SmolLM2-135M-Instruct.Q4_1.gguf', 'gemma-3-270m-q4_k_m.gguf'];
const wllamaVersion = JSON.parse(readFileSync(join(root, 'node_modules/@wllama/wllama/package.json'), 'utf8')).version;
// A fixed message of about 60 tokens for both engines.
const prompt = 'The history of the city begins with a small settlement on the river, where traders '
  + 'met to exchange grain, salt and cloth. Over the centuries the market grew into a town, the '
  + 'town into a city, and the city into the capital of a large and prosperous region. Tell me';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Peak resident memory of Chromium's renderer processes (Linux /proc) while `f` runs. */
async function peakRenderer(f) {
  let peak = 0;
  const sample = () => {
    let total = 0;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmd.includes('chromium') || !cmd.includes('--type=renderer')) continue;
        total += Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0);
      } catch { /* gone */ }
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, 100);
  try {
    const result = await f();
    sample();
    return { result, peakKb: peak };
  } finally {
    clearInterval(timer);
  }
}

/** One engine on one model in a browser of its own, on a fresh profile. */
async function once(server, engine, model) {
  const profile = mkdtempSync(join(tmpdir(), 'arena-llm-bench-'));
  const context = await launchProfile(profile);
  const errors = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}tests/e2e/tools/llm-bench.html`);
    await page.waitForFunction(() => window.benchReady === true);
    const modelUrl = `${server.url}public/models/${model}`;
    return await peakRenderer(() => (engine === 'arena'
      ? page.evaluate(([w, u, p, n]) => window.runArena(w, u, p, n), [`${server.url}dist/llm_worker_loader.js`, modelUrl, prompt, nPredict])
      : page.evaluate(([u, p, n]) => window.runWllama(u, p, n), [modelUrl, prompt, nPredict])));
  } finally {
    if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The figures of one answer, the same for both engines. */
function figures(engine, r) {
  if (engine === 'arena') {
    const s = r.stats;
    return {
      loadMs: r.loadMs,
      source: r.source,
      promptN: s.prompt_tokens,
      decodeN: s.tokens,
      prefillTps: s.prompt_tokens / (s.prefill_ms / 1000),
      decodeTps: (s.tokens - 1) / (s.decode_ms / 1000),
      firstMs: s.first_token_ms,
      heapMib: s.heap_bytes / 2 ** 20,
    };
  }
  const t = r.timings;
  return {
    loadMs: r.loadMs,
    source: 'its cache',
    promptN: t.prompt_n,
    decodeN: t.predicted_n,
    prefillTps: t.prompt_per_second,
    decodeTps: t.predicted_per_second,
    firstMs: r.firstMs,
  };
}

const server = await serveStatic(root);
try {
  for (const model of models) {
    console.log(`${model} (median of ${runs}; one thread, CPU, same chat message, greedy, up to ${nPredict} tokens)`);
    for (const engine of ['wllama', 'arena']) {
      const rows = [];
      for (let r = 0; r < runs; r++) {
        const { result, peakKb } = await once(server, engine, model);
        rows.push({ network: figures(engine, result.network), cached: figures(engine, result.cached), peakMib: peakKb / 1024 });
      }
      const m = (f) => median(rows.map(f));
      const f1 = (x) => x.toFixed(1);
      const f0 = (x) => x.toFixed(0);
      const label = engine === 'arena' ? 'arena (wasm simd128)' : `wllama ${wllamaVersion}`;
      const c = rows[0].cached;
      console.log(`  ${label.padEnd(20)}: prefill ${f1(m((x) => x.cached.prefillTps))} tok/s (${c.promptN} tokens) · decode ${f1(m((x) => x.cached.decodeTps))} tok/s (${c.decodeN} tokens) · first token ${f0(m((x) => x.cached.firstMs))} ms`);
      console.log(`  ${''.padEnd(20)}  load: network ${f0(m((x) => x.network.loadMs))} ms, cache ${f0(m((x) => x.cached.loadMs))} ms (${c.source}) · peak tab RSS ${f0(m((x) => x.peakMib))} MiB${engine === 'arena' ? ` · wasm heap ${f0(m((x) => x.cached.heapMib))} MiB` : ''}`);
    }
  }
} finally {
  await server.close();
}
