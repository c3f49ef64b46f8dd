/**
 * Choosing a backend in a browser (or any runtime without Node's built-ins): the wasm kernels, else the reference
 * backend (plain TypeScript, slow). By default the modules are the package's own, copied into dist/ by
 * `npm run build` (scripts/copy-wasm.mjs) and found with literal `new URL('../x.wasm', import.meta.url)` forms, the
 * pattern Vite, webpack 5 and Parcel follow to emit the files next to the bundle:
 * - relaxed SIMD (fused multiply-add) where the engine validates it (wasm/relaxed.ts), plain SIMD128 otherwise;
 * - threads when the page is cross-origin isolated (SharedArrayBuffer): navigator.hardwareConcurrency of them,
 *   the threaded module on a shared memory with a Web Worker per extra thread (wasm/create.ts); else one thread.
 * A page may give its own module URLs or bytes instead. Node's select.ts adds the native addon and reads files.
 */
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { createWasmBackend, type WasmBackendOptions } from './wasm/create.js';
import { relaxedSimdSupported } from './wasm/relaxed.js';

type Source = string | URL | BufferSource | WebAssembly.Module;

export interface BrowserBackendOptions {
  /** The single-threaded module: a URL, its bytes, or a compiled module. Default: the package's own. */
  wasm?: Source;
  /** The threaded module (densenet-mt.wasm). Default: the package's own, fetched only when threads are possible. */
  threaded?: Source;
  /** Threads, the page's included. Default: navigator.hardwareConcurrency when cross-origin isolated, else 1. */
  threads?: number;
  /** The worker script of the threaded backend (default: the package's, which bundlers emit). */
  workerUrl?: string | URL;
  /** Use the relaxed-SIMD builds of the default modules (default: when this engine validates relaxed SIMD). */
  relaxed?: boolean;
}

/** The package's modules (dist/backend/select-browser.js -> dist/*.wasm); each URL literal is what bundlers look for. */
export function defaultWasmUrl(relaxed = false): URL {
  return relaxed ? new URL('../densenet-relaxed.wasm', import.meta.url) : new URL('../densenet.wasm', import.meta.url);
}

function defaultThreadedUrl(relaxed: boolean): URL {
  return relaxed ? new URL('../densenet-mt-relaxed.wasm', import.meta.url) : new URL('../densenet-mt.wasm', import.meta.url);
}

async function bytesOf(source: Source): Promise<BufferSource | WebAssembly.Module> {
  if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return source;
  const res = await fetch(source);
  if (!res.ok) throw new Error(`wasm: fetching ${String(source)} gave HTTP ${res.status} (pass { wasm: url } to getBackend to point elsewhere)`);
  return res.arrayBuffer();
}

/** Threads a page can have: SharedArrayBuffer needs cross-origin isolation (COOP same-origin + COEP require-corp). */
function possibleThreads(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return isolated ? Math.max(1, cores) : 1;
}

async function loadWasm(opts: BrowserBackendOptions): Promise<Backend> {
  const relaxed = opts.relaxed ?? relaxedSimdSupported();
  const threads = Math.max(1, Math.floor(opts.threads ?? possibleThreads()));
  const single = bytesOf(opts.wasm ?? defaultWasmUrl(relaxed));
  const create: WasmBackendOptions = { threads };
  // the threaded module is only worth fetching where it can run; without it the backend is single-threaded and
  // createWasmBackend says why once. On a cross-origin isolated page it runs at 1 thread too (no workers): its
  // shared memory holds the feature maps, so ops do not copy them (create.ts)
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (threads > 1 || isolated || opts.threaded !== undefined) {
    if (possibleThreads() > 1 || isolated || opts.threaded !== undefined) create.threaded = await bytesOf(opts.threaded ?? defaultThreadedUrl(relaxed));
    if (opts.workerUrl !== undefined) create.workerUrl = opts.workerUrl;
  }
  return createWasmBackend(await single, create);
}

let defaultWasm: Promise<Backend> | null = null;

/**
 * `name` 'wasm' (default) or 'reference'. With no options the wasm backend is created once per page (the
 * package's modules, relaxed SIMD and threads where possible); options create a new one each call.
 */
export async function getBackend(name: 'wasm' | 'reference' = 'wasm', opts: BrowserBackendOptions = {}): Promise<Backend> {
  if (name === 'reference') return referenceBackend;
  if (name !== 'wasm') throw new Error(`unknown backend '${String(name)}' (in a browser: wasm or reference)`);
  if (Object.keys(opts).length > 0) return loadWasm(opts);
  defaultWasm ??= loadWasm({});
  return defaultWasm;
}
