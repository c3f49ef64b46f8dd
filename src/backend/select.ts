/**
 * Choosing a backend: an explicit choice (option or DENSENET_BACKEND) wins; otherwise native, else wasm,
 * else reference. Nothing registers itself by import side effect, and each backend's code is imported only when
 * it is loaded (the wasm glue brings worker_threads and its module loader; a process on the native backend never
 * needs it). When the preferred fast backend cannot load, one clear message says why and which backend is used instead.
 */
import type { Backend, BackendName } from './backend.js';

export const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'reference'];

const cache = new Map<BackendName, Backend>();

export function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

/** Loads one named backend or throws an Error saying why it is unavailable. */
export async function loadBackend(name: BackendName): Promise<Backend> {
  const hit = cache.get(name);
  if (hit) return hit;
  let b: Backend;
  switch (name) {
    case 'reference':
      b = (await import('./reference/index.js')).referenceBackend;
      break;
    case 'native':
      b = (await import('./native/index.js')).loadNative();
      break;
    case 'wasm':
      b = await (await import('./wasm/index.js')).loadWasm();
      break;
  }
  cache.set(name, b);
  return b;
}

/**
 * The backend to use: `name` if given, else $DENSENET_BACKEND, else the first of native, wasm, reference
 * that loads (with `training`, that also has backward ops). With `warn`, a fallback prints one line to stderr
 * naming what failed.
 */
export async function getBackend(
  name?: string, warn: (msg: string) => void = (m) => process.stderr.write(m + '\n'), opts: { training?: boolean } = {},
): Promise<Backend> {
  const chosen = name ?? process.env.DENSENET_BACKEND;
  if (chosen !== undefined && chosen !== '') {
    if (!isBackendName(chosen)) {
      throw new Error(`unknown backend '${chosen}' (choose one of ${BACKEND_NAMES.join(', ')})`);
    }
    const b = await loadBackend(chosen);
    if (opts.training && b.backward === undefined) throw new Error(`the ${chosen} backend cannot train yet (no backward ops); use --backend reference`);
    return b;
  }
  const failures: string[] = [];
  for (const candidate of BACKEND_NAMES) {
    try {
      const b = await loadBackend(candidate);
      if (opts.training && b.backward === undefined) throw new Error('no backward ops yet');
      if (failures.length > 0) warn(`densenet: using the ${candidate} backend (${failures.join('; ')})`);
      return b;
    } catch (e) {
      failures.push(`${candidate} unavailable: ${(e as Error).message}`);
    }
  }
  throw new Error(`no backend could load: ${failures.join('; ')}`);
}

/** Every backend that loads on this machine, for tests that run each op on each backend. */
export async function availableBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const n of BACKEND_NAMES) {
    try {
      out.push(await loadBackend(n));
    } catch {
      // not built here; tests report which ran
    }
  }
  return out;
}
