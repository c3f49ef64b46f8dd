/**
 * The threaded wasm module (build/densenet-mt.wasm, csrc/wasm_threadpool.c + dispatch.c): one shared
 * WebAssembly.Memory, the main instance plus threads-1 workers that instantiate the same compiled module on it,
 * each with its own 1 MiB stack and scratch from a region the main instance reserves right after its data:
 *   [main stack | data | scratch x threads | worker stacks x (threads-1) | JS arena (WasmMemory)]
 * Workers sit in a C loop (dn_worker_main) on memory.atomic.wait32, so a parallel op costs atomics, not
 * postMessage. The main thread does its share of each op and spins for the rest (a browser main thread may not
 * block in atomics.wait); where blocking is allowed (Node) it also sleeps in short timed waits.
 * Browser-safe: no Node imports. How a worker is started is the caller's business (spawn): index.ts uses
 * worker_threads, create.ts a module Web Worker (worker.ts). Not here: the ops (ops.ts, backward.ts).
 */
import { WasmMemory, type KernelExports, type WasmInstance } from './module.js';

/** Initial pages of the shared memory: scripts/build-wasm.mjs links the module with --initial-memory = this. */
export const MT_INITIAL_PAGES = 64;
const PAGE = 65536;
const STACK = 1 << 20;
const align = (v: number): number => Math.ceil(v / 64) * 64;

/** What a worker receives (worker.ts, index.ts): the module, the memory, its thread id and the top of its stack. */
export interface WorkerStart {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly id: number;
  readonly stackTop: number;
}

/** A started worker: Web Worker or worker_threads Worker, reduced to what the pool needs. */
export interface WorkerHandle {
  /** Resolves once the worker runs the module (it then never answers again until stopped). */
  readonly ready: Promise<void>;
  terminate(): void;
}

export type SpawnWorker = (start: WorkerStart) => WorkerHandle;

interface ThreadExports extends KernelExports {
  readonly __stack_pointer: WebAssembly.Global;
  dn_mt_scratch_floats(): number;
  dn_mt_setup(threads: number, region: number, mainCanWait: number): number;
  dn_mt_set_threads(threads: number): number;
  dn_mt_threads(): number;
  dn_pool_stop(): void;
  dn_fma_peak(iters: number, threads: number): number;
}

export interface ThreadedInstance extends WasmInstance {
  /** Threads in use now (1..maxThreads). */
  readonly threads: number;
  readonly maxThreads: number;
  setThreads(n: number): void;
  /** Flops of `iters` rounds of register-only multiply-adds on each of `threads` threads (benchmarks). */
  fmaPeak(iters: number, threads: number): number;
  /** Stops and terminates the workers; ops then run on one thread. Idempotent. */
  terminate(): void;
}

/** Why shared memory is unusable here, or null if it is usable. */
export function sharedMemoryUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (COOP/COEP headers)';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `a shared WebAssembly.Memory cannot be created (${(e as Error).message})`;
  }
  return null;
}

/** True if `module` is the threaded build (it imports its memory). */
export function isThreadedModule(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
}

export interface ThreadedOptions {
  threads: number;
  spawn: SpawnWorker;
  /** May this (the calling) thread block in atomics.wait? false on a browser's main thread. */
  mainCanWait: boolean;
  /** Largest linear memory in bytes (default and at most 4 GiB). */
  maxMemoryBytes?: number;
}

export async function instantiateThreaded(module: WebAssembly.Module, opts: ThreadedOptions): Promise<ThreadedInstance> {
  const threads = Math.max(1, Math.min(64, Math.floor(opts.threads)));
  const maxPages = Math.max(MT_INITIAL_PAGES, Math.min(65536, Math.floor((opts.maxMemoryBytes ?? 2 ** 32) / PAGE)));
  const memory = new WebAssembly.Memory({ initial: MT_INITIAL_PAGES, maximum: maxPages, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const k = instance.exports as unknown as ThreadExports;
  for (const name of ['__stack_pointer', 'dn_worker_main', 'dn_mt_setup', 'dn_gemm'] as const) {
    if (!(name in k)) throw new Error(`threaded wasm module lacks the export ${name} (rebuild with node scripts/build-wasm.mjs)`);
  }
  const region = align(Number(k.__heap_base.value));
  const stacks = align(region + 4 * k.dn_mt_scratch_floats() * threads);
  const arena = stacks + STACK * (threads - 1);
  const mem = new WasmMemory(memory, arena, k.dn_scratch_floats(), maxPages * PAGE);
  if (k.dn_mt_setup(threads, region, opts.mainCanWait ? 1 : 0) !== 0) throw new Error(`wasm: thread pool setup failed for ${threads} threads`);
  const workers: WorkerHandle[] = [];
  try {
    for (let id = 1; id < threads; id++) workers.push(opts.spawn({ module, memory, id, stackTop: stacks + STACK * id }));
    await Promise.all(workers.map((w) => w.ready));
  } catch (e) {
    k.dn_pool_stop();
    for (const w of workers) w.terminate();
    throw new Error(`wasm: starting worker threads failed: ${(e as Error).message}`);
  }
  let stopped = false;
  return {
    exports: k,
    mem,
    maxThreads: threads,
    get threads(): number {
      return k.dn_mt_threads();
    },
    setThreads(n: number): void {
      if (!Number.isInteger(n) || n < 1 || n > (stopped ? 1 : threads) || k.dn_mt_set_threads(n) !== 0) {
        throw new Error(`wasm setThreads: ${n} is not in 1..${stopped ? 1 : threads}`);
      }
    },
    fmaPeak: (iters, t) => k.dn_fma_peak(iters, t),
    terminate(): void {
      if (stopped) return;
      stopped = true;
      k.dn_mt_set_threads(1);
      k.dn_pool_stop();
      for (const w of workers) w.terminate();
    },
  };
}
