/**
 * Shared cases for comparing a fast backend with the reference: the geometries DenseNet uses, and `same`,
 * which runs one call on both backends with identical starting outputs and compares every output.
 */
import type { Backend } from '../../src/backend/backend.js';
import type { NativeBackend } from '../../src/backend/native/index.js';
import type { WasmBackend } from '../../src/backend/wasm/create.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { assertClose } from '../helpers/check.js';

/** [n, cin, h, w, cout, k, stride, pad] */
export const CONV_CASES: readonly (readonly number[])[] = [
  [3, 24, 9, 9, 16, 1, 1, 0], [2, 64, 16, 16, 32, 1, 1, 0], [1, 5, 7, 7, 3, 1, 1, 0],
  [2, 8, 9, 9, 4, 3, 1, 1], [1, 32, 14, 14, 12, 3, 1, 1], [3, 12, 7, 7, 12, 3, 1, 1],
  [2, 3, 32, 32, 16, 7, 2, 3], [1, 3, 29, 29, 8, 7, 2, 3], [3, 6, 7, 7, 5, 3, 2, 1],
];
/** [c, n, h, w, k, stride, pad] */
export const MAXPOOL_CASES: readonly (readonly number[])[] = [[8, 2, 16, 16, 3, 2, 1], [5, 3, 9, 9, 3, 2, 1], [4, 1, 7, 7, 3, 2, 1]];
export const AVGPOOL_CASES: readonly (readonly number[])[] = [[8, 2, 8, 8, 2, 2, 0], [6, 1, 9, 9, 2, 2, 0], [5, 3, 7, 7, 2, 2, 0]];

export const convLabel = (c: readonly number[]): string =>
  `x=[${c[0]},${c[1]},${c[2]},${c[3]}] w=[${c[4]},${c[1]},${c[5]},${c[5]}] stride=${c[6]} pad=${c[7]}`;
export const poolLabel = (c: readonly number[]): string => `x=[${c[1]},${c[0]},${c[2]},${c[3]}] k=${c[4]} stride=${c[5]} pad=${c[6]}`;

/** Runs fn on the backend and on the reference with identical copies of the outputs, then compares them. */
export function same(be: Backend, outs: Float32Array[], run: (b: Backend, o: Float32Array[]) => void, label: string, atol = 1e-4, rtol = 1e-4): void {
  const mine = outs.map((o) => o.slice());
  const want = outs.map((o) => o.slice());
  run(be, mine);
  run(ref, want);
  mine.forEach((m, i) => assertClose(m, want[i], `${label} output ${i}`, atol, rtol));
}


/** One configuration of a fast backend to test in: a label ('' or 'avx2 1 thread(s)') and a runner. */
export interface BackendConfig {
  isa: string;
  threads: number;
  label: string;
  /** Runs fn with the backend switched to this configuration, then restores its ISA and thread count. */
  use(fn: () => void): void;
}

/** Configurations of a threaded wasm backend: 1 and 2 threads (as is when it was created single-threaded). */
function wasmConfigs(wb: WasmBackend): BackendConfig[] {
  if (wb.maxThreads < 2) return [{ isa: '', threads: 0, label: '', use: (fn) => fn() }];
  return [1, 2].map((threads) => ({
    isa: '', threads, label: `${threads} thread(s)`,
    use(fn: () => void): void {
      const t0 = wb.threads;
      try {
        wb.setThreads(threads);
        fn();
      } finally {
        wb.setThreads(t0);
      }
    },
  }));
}

/** The configurations of `be` worth testing: native in every ISA this CPU runs at 1 and 2 threads, threaded wasm at
 * 1 and 2 threads, others as is. */
export function backendConfigs(be: Backend): BackendConfig[] {
  if (be.name === 'wasm') return wasmConfigs(be as WasmBackend);
  if (be.name !== 'native') return [{ isa: '', threads: 0, label: '', use: (fn) => fn() }];
  const nb = be as NativeBackend;
  return nb.isas.flatMap((isa) => [1, 2].map((threads) => ({
    isa, threads, label: `${isa} ${threads} thread(s)`,
    use(fn: () => void): void {
      const [isa0, t0] = [nb.isa, nb.threads];
      try {
        nb.setIsa(isa);
        nb.setThreads(threads);
        fn();
      } finally {
        nb.setIsa(isa0);
        nb.setThreads(t0);
      }
    },
  })));
}
