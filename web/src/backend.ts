/**
 * The page's wasm backend, as many threads as it can have: when the page is cross-origin isolated, threads > 1
 * are asked for and the server has the threaded module (/densenet-mt.wasm, built by the threaded wasm work), the
 * backend is created from both modules with a Web Worker per extra thread (dist/worker.js, bundled from the
 * package's worker script); otherwise getBackend('wasm') with the single-threaded module's URL. The backend
 * reports the threads it really runs (backend.threads).
 */
import { createWasmBackend, getBackend, type Backend } from 'densenet-ts';

export const WASM_URL = '/densenet.wasm';
export const WASM_MT_URL = '/densenet-mt.wasm';
export const WORKER_URL = '/dist/worker.js';

export async function pageBackend(threads: number): Promise<Backend> {
  if (threads > 1 && globalThis.crossOriginIsolated) {
    const mt = await fetch(WASM_MT_URL);
    if (mt.ok) {
      const st = await fetch(WASM_URL);
      if (!st.ok) throw new Error(`demo: fetching ${WASM_URL} gave HTTP ${st.status}`);
      // the threaded backend's options (threads, threaded module, worker script); a build without them ignores them
      const create = createWasmBackend as unknown as (s: BufferSource, o: { threads: number; threaded: BufferSource; workerUrl: string }) => Promise<Backend>;
      return create(await st.arrayBuffer(), { threads, threaded: await mt.arrayBuffer(), workerUrl: WORKER_URL });
    }
  }
  return getBackend('wasm', { wasm: WASM_URL });
}
