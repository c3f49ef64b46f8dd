/**
 * The wasm backend for Node: finds the module ($DENSENET_WASM, else a local build/densenet.wasm from
 * scripts/build-wasm.mjs, else the copy in dist/ that `npm run build` makes and the published package ships), reads it
 * (and densenet-mt.wasm next to it, the threaded build; the -relaxed builds where relaxed SIMD runs) and hands the
 * bytes to createWasmBackend (create.ts, which a browser calls with fetched bytes instead). Threads:
 * $DENSENET_THREADS, else one per core; workers are worker_threads, unref'd so they never keep the process alive.
 * Throws an Error naming the reason when the module is missing or does not instantiate.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Backend } from '../backend.js';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from './create.js';
import { relaxedSimdSupported } from './relaxed.js';
import type { SpawnWorker } from './threads.js';

export { createWasmBackend, type WasmBackend, type WasmBackendOptions } from './create.js';
export { relaxedSimdSupported } from './relaxed.js';

/** worker.ts's steps for worker_threads, as a data: URL module (no file to find from src/ or dist/). */
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
const { module, memory, id, stackTop } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
ex.__stack_pointer.value = stackTop;
parentPort.postMessage('ready');
ex.dn_worker_main(id);
`;

/** Starts a worker_threads worker on the module; unref'd, so an idle pool never keeps Node running. */
export const nodeSpawner: SpawnWorker = (start) => {
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), { workerData: start });
  w.unref();
  const ready = new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker ${start.id} exited with code ${code} before starting`)));
  });
  return { ready, terminate: () => void w.terminate() };
};

/** $DENSENET_THREADS if set (1 = single-threaded module), else the cores Node may use. */
export function threadsFromEnv(): number {
  const env = process.env.DENSENET_THREADS;
  if (env === undefined || env === '') return os.availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DENSENET_THREADS=${env} is not a positive integer`);
  return n;
}

/**
 * The relaxed-SIMD build next to `file` (densenet-relaxed.wasm) when this Node runs relaxed SIMD and
 * $DENSENET_WASM_RELAXED is not 0, else `file`.
 */
export function preferRelaxed(file: string): string {
  if (process.env.DENSENET_WASM_RELAXED === '0' || !relaxedSimdSupported()) return file;
  const relaxed = file.replace(/\.wasm$/, '-relaxed.wasm');
  return relaxed !== file && existsSync(relaxed) ? relaxed : file;
}

/**
 * Node's options for createWasmBackend: the threaded module next to `file` when threads > 1 (its relaxed-SIMD
 * build if `file` is one), worker_threads.
 */
export async function nodeOptions(file: string, threads = threadsFromEnv()): Promise<WasmBackendOptions> {
  const mt = file.endsWith('-relaxed.wasm') ? file.replace(/-relaxed\.wasm$/, '-mt-relaxed.wasm') : file.replace(/\.wasm$/, '-mt.wasm');
  const threaded = threads > 1 && mt !== file && existsSync(mt) ? await readFile(mt) : undefined;
  return { threads, spawnWorker: nodeSpawner, mainThreadMayWait: true, ...(threaded === undefined ? {} : { threaded }) };
}

const WASM_FILE = path.join('build', 'densenet.wasm');
/** The module is platform-independent: the copy in dist/ (the browser entry's too) serves every platform. */
const SHIPPED_FILE = path.join('dist', 'densenet.wasm');

/** The locally built or shipped module above this file (src/backend/wasm or dist/backend/wasm), or null. */
function findModule(): string | null {
  const env = process.env.DENSENET_WASM;
  if (env !== undefined && env !== '') return existsSync(env) ? env : null;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const f of [WASM_FILE, SHIPPED_FILE]) if (existsSync(path.join(dir, f))) return path.join(dir, f);
    dir = path.dirname(dir);
  }
  return null;
}

let loading: Promise<WasmBackend> | null = null;

async function load(): Promise<WasmBackend> {
  const file = findModule();
  if (file === null) {
    const where = process.env.DENSENET_WASM ? `$DENSENET_WASM=${process.env.DENSENET_WASM} does not exist` : `no ${WASM_FILE}`;
    throw new Error(`wasm module not built (${where}; run \`node scripts/build-wasm.mjs\`, which needs clang and lld)`);
  }
  try {
    const chosen = preferRelaxed(file);
    return await createWasmBackend(await readFile(chosen), await nodeOptions(chosen));
  } catch (e) {
    throw new Error(`wasm module ${file} failed to load: ${(e as Error).message}`);
  }
}

/** Loads the wasm backend once (later calls share the instance and its memory). */
export async function loadWasm(): Promise<Backend> {
  loading ??= load().catch((e: unknown) => {
    loading = null; // a later call may succeed once the module is built
    throw e;
  });
  return loading;
}
