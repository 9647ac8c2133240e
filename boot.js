// Loads the wasm app. Trunk would inline this, which the Content-Security-Policy forbids; its
// `pattern_script` passes the hashed file names here as query parameters instead.
const params = new URL(import.meta.url).searchParams;
const base = new URL('.', import.meta.url);
const { default: init } = await import(new URL(params.get('js'), base).href);
await init({ module_or_path: new URL(params.get('wasm'), base) });
