/**
 * The demo page's bundler and server (`npm run demo:web`; test/web and bench/web.ts import it).
 * buildWeb(): esbuild bundles web/src/main.ts and bench.ts, resolving `densenet-ts` through this package's own
 * `exports` with the `browser` condition (dist/browser.js: run `npm run build` first), into web/dist/, and the
 * threaded wasm backend's worker script (dist/backend/wasm/worker.js) as web/dist/worker.js where it exists.
 * startWebServer(): a node:http static server on 127.0.0.1 only, every response with Cross-Origin-Opener-Policy
 * same-origin and Cross-Origin-Embedder-Policy require-corp (so the page is cross-origin isolated and may share
 * wasm memory between workers), the MIME types a browser insists on (application/wasm, text/javascript), no
 * caching. It serves web/, the wasm kernels at /densenet.wasm and /densenet-mt.wasm (build/), onnxruntime-web's dist at
 * /ort/ (for the benchmark page) and, when given, one extra folder at /extra/. GET and HEAD only; no directory
 * listings; paths that leave their folder are refused.
 * Usage: node web/serve.mjs [--port N]   (or PORT=N; default 8080; 0 picks a free port)
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_DIR = path.join(root, 'web');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Bundles the page, the bench page and (where it exists) the wasm worker into web/dist/ (ESM, browser, source maps). */
export async function buildWeb() {
  if (!existsSync(path.join(root, 'dist', 'browser.js'))) {
    throw new Error('demo:web: dist/browser.js is missing; run `npm run build` first');
  }
  const { build } = await import('esbuild');
  const entryPoints = { main: path.join(WEB_DIR, 'src', 'main.ts'), bench: path.join(WEB_DIR, 'src', 'bench.ts') };
  // the threaded wasm backend's Web Worker script, where the package has one
  const worker = path.join(root, 'dist', 'backend', 'wasm', 'worker.js');
  if (existsSync(worker)) entryPoints.worker = worker;
  await build({
    entryPoints,
    outdir: path.join(WEB_DIR, 'dist'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** URL path -> a file under one of the served folders, or null (unknown prefix, escape attempt). */
function resolveFile(urlPath, extraDir) {
  let p;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (p.includes('\0')) return null;
  if (p === '/') p = '/index.html';
  // the wasm modules of scripts/build-wasm.mjs: densenet.wasm, and densenet-mt.wasm (threaded) where built
  if (/^\/densenet[a-z-]*\.wasm$/.test(p)) return path.join(root, 'build', p.slice(1));
  const mounts = [
    ['/ort/', path.join(root, 'node_modules', 'onnxruntime-web', 'dist')],
    ...(extraDir ? [['/extra/', extraDir]] : []),
    ['/', WEB_DIR],
  ];
  for (const [prefix, dir] of mounts) {
    if (!p.startsWith(prefix)) continue;
    const file = path.resolve(dir, '.' + p.slice(prefix.length - 1));
    return file.startsWith(dir + path.sep) ? file : null;
  }
  return null;
}

/**
 * Starts the server on 127.0.0.1:`port` (0: a free one). Resolves to { url, port, close() }.
 * `extraDir`: a folder served at /extra/ (the benchmark's generated model files).
 */
export function startWebServer({ port = 8080, extraDir } = {}) {
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = resolveFile(url.pathname, extraDir);
    let size = -1;
    try {
      if (file) {
        const st = statSync(file);
        if (st.isFile()) size = st.size;
      }
    } catch {
      size = -1;
    }
    if (file === null || size < 0) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
      return;
    }
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        port: actual,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

function parsePort(argv, env) {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : env.PORT ?? '8080';
  const port = Number(raw);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`demo:web: bad port '${raw}' (0-65535)`);
  return port;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const port = parsePort(process.argv.slice(2), process.env);
    await buildWeb();
    const { url } = await startWebServer({ port });
    console.log(`densenet-ts demo: ${url} (cross-origin isolated; Ctrl-C stops)`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
