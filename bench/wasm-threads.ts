/**
 * The wasm backend's threads: GEMM GFLOP/s on DenseNet shapes (single-threaded module, threaded module at 1 and 2
 * threads), the SIMD128 multiply-add peak per thread (csrc/fma_peak.c), and DenseNet-121 224x224 inference ms at
 * batch 1 (and with --batch8, one batch-8 pass and the linear memory it took). Samples alternate between the
 * configurations so all see the same background load; medians, and ratios to 1 thread. The native addon at 1 and
 * 2 threads runs interleaved too, as a control: its 2-thread ratio is what the machine's second core gave during
 * the run (other processes share it). Not a test.
 * The threaded module is the relaxed-SIMD build where this Node runs it (Node 20: --experimental-wasm-relaxed-simd),
 * and then the plain single-threaded module is timed next to the relaxed one.
 * Run: node [--experimental-wasm-relaxed-simd] --import tsx bench/wasm-threads.ts [--runs 9] [--only gemm,net] [--batch8]
 */
import { readFileSync } from 'node:fs';
import type { Backend } from '../src/backend/backend.js';
import { loadNative } from '../src/backend/native/index.js';
import { createWasmBackend, nodeOptions, preferRelaxed } from '../src/backend/wasm/index.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median, ROOT } from './lib.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 9);
const only = new Set((opt('only') ?? 'gemm,net').split(','));
const plain = `${ROOT}build/densenet.wasm`;
const file = preferRelaxed(plain);
const mt = await createWasmBackend(readFileSync(file), await nodeOptions(file, 2));
const st = await createWasmBackend(readFileSync(file), { threads: 1 });
const stPlain = file === plain ? null : await createWasmBackend(readFileSync(plain), { threads: 1 });
console.log(`modules: ${file.slice(ROOT.length)} and its threaded build`);
if (mt.threads !== 2) throw new Error(`bench/wasm-threads: threaded module not loaded (${mt.singleThreadReason ?? '?'})`);

type Threaded = Backend & { setThreads(n: number): void };
interface Config {
  label: string;
  be: Threaded;
  threads: number;
}
const CONFIGS: Config[] = [
  { label: 'single-threaded module', be: st, threads: 1 },
  { label: 'threaded module, 1 thread', be: mt, threads: 1 },
  { label: 'threaded module, 2 threads', be: mt, threads: 2 },
];
if (stPlain !== null) CONFIGS.push({ label: 'plain SIMD single-threaded module', be: stPlain, threads: 1 });
let native: Threaded | null = null;
try {
  native = loadNative();
  CONFIGS.push({ label: 'native 1 thread', be: native, threads: 1 }, { label: 'native 2 threads', be: native, threads: 2 });
} catch (e) {
  console.log(`native control skipped: ${(e as Error).message}`);
}
const nat = CONFIGS.length - 2;
const nativeRatio = (ms: number[]): string => (native === null ? '' : `; native control 2 threads / 1 ${(ms[nat] / ms[nat + 1]).toFixed(2)}x`);

/** Median ms per call of fn for each config, samples (each >= ~40 ms) interleaved across configs. */
function timeConfigs(configs: Config[], fn: (be: Backend) => void, minMs = 40): number[] {
  const samples: number[][] = configs.map(() => []);
  const reps = configs.map((c) => {
    c.be.setThreads(c.threads);
    fn(c.be);
    const t0 = performance.now();
    fn(c.be);
    return Math.max(1, Math.round(minMs / Math.max(performance.now() - t0, 1e-3)));
  });
  for (let r = 0; r < runs; r++) {
    configs.forEach((c, i) => {
      c.be.setThreads(c.threads);
      const t0 = performance.now();
      for (let j = 0; j < reps[i]; j++) fn(c.be);
      samples[i].push((performance.now() - t0) / reps[i]);
    });
  }
  return samples.map(median);
}

function filled(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return a;
}

if (only.has('gemm')) {
  if (mt.fmaPeak !== undefined) {
    const iters = 2e7;
    const peak = (t: number): number => {
      const t0 = performance.now();
      const flops = mt.fmaPeak?.(iters, t) ?? 0;
      return flops / (performance.now() - t0) / 1e6;
    };
    const p1: number[] = [], p2: number[] = [];
    for (let r = 0; r < 5; r++) p1.push(peak(1)), p2.push(peak(2));
    console.log(`SIMD128 multiply-add peak (${file === plain ? 'mul+add' : 'relaxed_madd'}): 1 thread ${median(p1).toFixed(1)} GFLOP/s, 2 threads ${median(p2).toFixed(1)} GFLOP/s`);
  }
  console.log('GEMM GFLOP/s, C[M][N] = A[M][K] B[K][N] (medians)    ' + CONFIGS.map((c) => c.label).join(' | ') + ' | 2 threads / 1');
  for (const [m, n, k] of [[128, 3136, 256], [32, 3136, 1152], [128, 784, 512], [128, 196, 1024], [256, 12544, 64]]) {
    const a = filled(m * k), b = filled(k * n), c = new Float32Array(m * n);
    const ms = timeConfigs(CONFIGS, (be) => be.gemm(false, false, m, n, k, a, b, 0, c));
    const gf = ms.map((t) => (2 * m * n * k) / t / 1e6);
    console.log(`  ${m}x${n}x${k}: ${gf.map((g) => g.toFixed(1)).join(' | ')} | wasm ${(gf[2] / gf[1]).toFixed(2)}x${nativeRatio(ms)}`);
  }
}

if (only.has('net')) {
  const model = new DenseNet(variantConfig('densenet121'), 0, { init: true });
  model.eval();
  const rng = new Rng(1);
  const input = (n: number): Tensor => new Tensor(new Float32Array(n * 3 * 224 * 224).map(() => rng.normal()), [n, 3, 224, 224]);
  const x = input(1);
  const ms = timeConfigs(CONFIGS, (be) => model.forward(x, be), 0);
  console.log(`DenseNet-121 224x224 batch 1 inference ms (medians of ${runs}): ${CONFIGS.map((c, i) => `${c.label} ${ms[i].toFixed(0)}`).join(', ')}; ` +
    `2 threads / 1 thread speed-up ${(ms[1] / ms[2]).toFixed(2)}x, threaded@1 / single-threaded module time ${(ms[1] / ms[0]).toFixed(2)}${nativeRatio(ms)}`);
  if (args.includes('--batch8')) {
    mt.setThreads(2);
    const t0 = performance.now();
    const y = model.forward(input(8), mt);
    console.log(`DenseNet-121 batch 8 on 2 threads: ${(performance.now() - t0).toFixed(0)} ms, output [${y.shape.join(',')}], ` +
      `linear memory ${(mt.memoryBytes / 2 ** 20).toFixed(0)} MiB`);
  }
}
mt.terminate();
