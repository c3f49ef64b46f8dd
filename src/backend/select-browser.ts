/**
 * Choosing a backend in a browser (or any runtime without Node's built-ins): the wasm kernels, fetched from
 * the package's dist/densenet.wasm (scripts/copy-wasm.mjs) through `new URL(..., import.meta.url)` (the pattern
 * Vite, webpack 5 and Parcel follow to copy the file next to the bundle), or from a URL or bytes the page gives; else the reference
 * backend (plain TypeScript, slow). Node's select.ts adds the native addon and reads files instead of fetching.
 */
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { createWasmBackend } from './wasm/create.js';

export interface BrowserBackendOptions {
  /** Where the .wasm is: a URL (string or URL), its bytes, or a compiled module. Default: the package's own. */
  wasm?: string | URL | BufferSource | WebAssembly.Module;
}

/** dist/backend/select-browser.js -> dist/densenet.wasm (copied there by `npm run build`). */
export function defaultWasmUrl(): URL {
  return new URL('../densenet.wasm', import.meta.url);
}

let wasm: Promise<Backend> | null = null;

async function loadWasm(source: BrowserBackendOptions['wasm']): Promise<Backend> {
  if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return createWasmBackend(source);
  const url = source ?? defaultWasmUrl();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`wasm: fetching ${String(url)} gave HTTP ${res.status} (pass { wasm: url } to getBackend to point elsewhere)`);
  return createWasmBackend(await res.arrayBuffer());
}

/**
 * `name` 'wasm' (default) or 'reference'. The wasm module is fetched and instantiated once per page unless
 * `opts.wasm` gives another source. A failed default fetch falls back to 'reference' with one console warning.
 */
export async function getBackend(name: 'wasm' | 'reference' = 'wasm', opts: BrowserBackendOptions = {}): Promise<Backend> {
  if (name === 'reference') return referenceBackend;
  if (name !== 'wasm') throw new Error(`unknown backend '${String(name)}' (in a browser: wasm or reference)`);
  if (opts.wasm !== undefined) return loadWasm(opts.wasm);
  wasm ??= loadWasm(undefined);
  return wasm;
}
