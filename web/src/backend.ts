/**
 * The page's wasm backend: the library's own choice (getBackend: relaxed SIMD where the browser validates it,
 * threads when the page is cross-origin isolated), with the modules and the worker script at this server's URLs
 * (web/serve.mjs serves build/densenet*.wasm at the root and the worker as /dist/worker.js). The backend reports
 * the threads it really runs (backend.threads).
 */
import { getBackend, relaxedSimdSupported, type Backend } from 'densenet-ts';

export const WORKER_URL = '/dist/worker.js';

/** `threads` as asked (the page asks for navigator.hardwareConcurrency when cross-origin isolated). */
export async function pageBackend(threads: number): Promise<Backend> {
  const relaxed = relaxedSimdSupported();
  const suffix = relaxed ? '-relaxed' : '';
  return getBackend('wasm', {
    wasm: `/densenet${suffix}.wasm`, threaded: `/densenet-mt${suffix}.wasm`, threads, workerUrl: WORKER_URL, relaxed,
  });
}
