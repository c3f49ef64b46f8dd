/**
 * Builds the wasm Backend from the module's bytes (or a compiled WebAssembly.Module): browser-safe, no Node
 * imports, so a page can pass the bytes of `fetch('densenet.wasm')`. Node's loader (finding and reading
 * build/densenet.wasm) is index.ts. Single-threaded for now; workers and a shared memory come later.
 */
import type { Backend } from '../backend.js';
import { backwardOps, hasBackward } from './backward.js';
import { instantiate } from './module.js';
import { forwardOps } from './ops.js';

/** The wasm backend plus what tests and benchmarks look at. */
export interface WasmBackend extends Backend {
  /** Bytes of linear memory in use: grows when an op needs more than any before it, never shrinks. */
  readonly memoryBytes: number;
}

export async function createWasmBackend(source: BufferSource | WebAssembly.Module): Promise<WasmBackend> {
  const inst = await instantiate(source);
  const k = inst.exports;
  const backend: WasmBackend = {
    name: 'wasm',
    threads: 1,
    get memoryBytes(): number {
      return inst.mem.byteLength;
    },
    ...forwardOps(inst),
    ...(hasBackward(k) ? { backward: Object.freeze(backwardOps(k, inst)) } : {}),
  };
  return backend;
}
