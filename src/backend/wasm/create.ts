/**
 * Builds the wasm Backend from the module's bytes (or a compiled WebAssembly.Module): browser-safe, no Node
 * imports, so a page can pass the bytes of `fetch('densenet.wasm')`. Node's loader (finding and reading
 * build/densenet.wasm and densenet-mt.wasm, starting worker_threads) is index.ts.
 * Threads: given the threaded module too (opts.threaded, densenet-mt.wasm) and threads > 1, ops are split over
 * workers on a shared memory (threads.ts); that needs SharedArrayBuffer (a browser page must be cross-origin
 * isolated). Otherwise the single-threaded module runs, and the reason is logged once if threads were asked for.
 * At 1 thread a given threaded module runs too where it can (no workers), for its shared memory (Backend.alloc).
 */
import type { Backend } from '../backend.js';
import { backwardOps, hasBackward } from './backward.js';
import { instantiate, type WasmInstance } from './module.js';
import { forwardOps } from './ops.js';
export { relaxedSimdSupported } from './relaxed.js';
import { instantiateThreaded, isThreadedModule, sharedMemoryUnavailable, type SpawnWorker, type ThreadedInstance } from './threads.js';

/** The wasm backend plus what tests and benchmarks look at. */
export interface WasmBackend extends Backend {
  /** Bytes of linear memory in use: grows when an op needs more than any before it, never shrinks. */
  readonly memoryBytes: number;
  /** Threads this backend was created with (threads may be set lower with setThreads). */
  readonly maxThreads: number;
  /** Why this backend is single-threaded although threads were asked for, else null. */
  readonly singleThreadReason: string | null;
  /** Threads ops use from now on: 1..maxThreads. */
  setThreads(n: number): void;
  /** Flops done by `iters` rounds of register-only multiply-adds on each of `threads` threads (threaded build only). */
  fmaPeak?(iters: number, threads: number): number;
  /** Stops the workers (ops then run on one thread); the process or page no longer holds them. Idempotent. */
  terminate(): void;
}

export interface WasmBackendOptions {
  /** Threads to use (the caller included). Default: 1, or navigator.hardwareConcurrency when `threaded` is given. */
  threads?: number;
  /** The threaded module (densenet-mt.wasm): bytes or compiled. Without it the backend is single-threaded. */
  threaded?: BufferSource | WebAssembly.Module;
  /** Where the worker script is (browser; default: worker.js next to this file, found by bundlers). */
  workerUrl?: string | URL;
  /** Starts a worker (Node's index.ts passes a worker_threads one); default: a module Web Worker. */
  spawnWorker?: SpawnWorker;
  /** May the calling thread block in atomics.wait? Default false (a browser's main thread may not). */
  mainThreadMayWait?: boolean;
  /** Largest linear memory of the threaded module in bytes (default 4 GiB, the wasm32 limit). */
  maxMemoryBytes?: number;
}

let warned = false;
/** Logs the single-thread reason once per process or page. */
function warnOnce(reason: string): void {
  if (warned) return;
  warned = true;
  console.warn(`densenet: wasm backend runs on 1 thread (${reason})`);
}

/** A module Web Worker running worker.ts. */
function webWorkerSpawner(url: string | URL | undefined): SpawnWorker {
  return (start) => {
    // the literal new URL(..., import.meta.url) form is what bundlers recognise to emit the worker file
    const w = url === undefined ? new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }) : new Worker(url, { type: 'module' });
    const ready = new Promise<void>((resolve, reject) => {
      w.onmessage = (e: MessageEvent): void => {
        if (e.data === 'ready') resolve();
      };
      w.onerror = (e: ErrorEvent): void => reject(new Error(`worker: ${e.message}`));
    });
    w.postMessage(start);
    return { ready, terminate: () => w.terminate() };
  };
}

function defaultThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

const toModule = async (s: BufferSource | WebAssembly.Module): Promise<WebAssembly.Module> =>
  s instanceof WebAssembly.Module ? s : WebAssembly.compile(s);

export async function createWasmBackend(source: BufferSource | WebAssembly.Module, opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = Math.max(1, Math.floor(opts.threads ?? (opts.threaded === undefined ? 1 : defaultThreads())));
  let threadedSource = opts.threaded;
  let mainModule: WebAssembly.Module | null = null;
  if (source instanceof WebAssembly.Module && isThreadedModule(source)) threadedSource ??= source;
  else if (!(source instanceof WebAssembly.Module)) {
    mainModule = await WebAssembly.compile(source);
    if (isThreadedModule(mainModule)) threadedSource ??= mainModule;
  }
  let reason: string | null = null;
  let mt: ThreadedInstance | null = null;
  // 1 thread with the threaded module given: that module too (no workers) where shared memory works, so
  // eval-mode feature maps stay in linear memory (Backend.alloc) instead of being copied in and out per op.
  // DenseNet-121 batch 1, Node, process CPU time, medians of 15 (loaded machine): 0.98x the single-threaded module
  if (threads > 1 || threadedSource !== undefined) {
    reason = threadedSource === undefined ? 'no threaded module (densenet-mt.wasm) given' : sharedMemoryUnavailable();
    if (reason === null && threadedSource !== undefined) {
      mt = await instantiateThreaded(await toModule(threadedSource), {
        threads, spawn: opts.spawnWorker ?? webWorkerSpawner(opts.workerUrl), mainCanWait: opts.mainThreadMayWait ?? false,
        ...(opts.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: opts.maxMemoryBytes }),
      });
    }
    if (threads === 1) reason = null; // one thread was asked for: nothing to explain
    if (reason !== null) warnOnce(reason);
  }
  const stSource = mainModule ?? source;
  if (mt === null && stSource instanceof WebAssembly.Module && isThreadedModule(stSource)) {
    throw new Error(`wasm: the threaded module cannot run here (${reason ?? 'threads: 1'}); pass the single-threaded densenet.wasm`);
  }
  const inst: WasmInstance = mt ?? await instantiate(stSource);
  const k = inst.exports;
  const backend: WasmBackend = {
    name: 'wasm',
    get threads(): number {
      return mt?.threads ?? 1;
    },
    maxThreads: mt?.maxThreads ?? 1,
    singleThreadReason: reason,
    get memoryBytes(): number {
      return inst.mem.byteLength;
    },
    setThreads(n: number): void {
      if (mt !== null) mt.setThreads(n);
      else if (n !== 1) throw new Error(`wasm setThreads: ${n} is not in 1..1 (single-threaded module)`);
    },
    ...(mt === null ? {} : { fmaPeak: (iters: number, t: number): number => mt.fmaPeak(iters, t) }),
    // kept blocks of the shared memory (module.ts WasmMemory.alloc): forward ops use them without copies
    ...(mt === null ? {} : { alloc: (floats: number): Float32Array | null => inst.mem.alloc(floats) }),
    terminate(): void {
      mt?.terminate();
    },
    ...forwardOps(inst),
    ...(hasBackward(k) ? { backward: Object.freeze(backwardOps(k, inst)) } : {}),
  };
  return backend;
}
