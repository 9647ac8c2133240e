// A static file server for the built app: correct MIME types (application/wasm), no caching,
// loopback only. Used by `make run` and by the end-to-end specs.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gguf': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Starts serving `dir`; resolves to { url, close, requests } once listening. `overrides` maps
 * a path to a canned answer ({ status, type, body, cors }) or to a `(req, res)` handler.
 */
export function serveStatic(dir, host = '127.0.0.1', port = 0, { overrides = {} } = {}) {
  const root = resolve(dir);
  const requests = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    if (path in overrides) {
      const o = overrides[path];
      // A function answers the request itself (a stream held mid-file, say).
      if (typeof o === 'function') { o(req, res); return; }
      res.writeHead(o.status ?? 200, {
        'content-type': o.type ?? 'application/json',
        ...(o.cors ? { 'access-control-allow-origin': '*' } : {}),
      });
      res.end(o.body ?? '');
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-store',
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      // Closing drops open keep-alive connections too, so it never waits on a browser.
      const close = () => new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      ok({ url: `http://${host}:${p}/`, requests, close });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = 'dist', host = '127.0.0.1', port = '8080'] = process.argv.slice(2);
  await serveStatic(dir, host, Number(port));
}
