/**
 * Convolution kernels of a DenseNet-BC training step in isolation: forward, input gradient (dx) and weight
 * gradient (dw) of the bottleneck 1x1 (cin -> 48) and the 3x3 (48 -> 12) convolutions at batch 64, 32x32,
 * on the native backend, 1 and 2 threads; GFLOP/s from the fastest of BENCH_REPS runs.
 * Run: node --import tsx bench/conv-ops.ts
 */
import { convGeometry, type ConvGeometry } from '../src/backend/backend.js';
import { loadNative } from '../src/backend/native/index.js';
import { Rng } from '../src/tensor/rng.js';

const reps = Number(process.env.BENCH_REPS ?? 7);
const be = loadNative();
const bw = be.backward;
if (!bw) throw new Error('native backend has no backward ops');
const rng = new Rng(3);
const rand = (n: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() - 0.5;
  return a;
};
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[0]; // the minimum: this machine is shared, and contention only ever adds time
}
function time(f: () => void): number {
  f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const n = Number(process.env.BENCH_BATCH ?? 64);
const cases: [string, ConvGeometry][] = [
  ['1x1 114->48 32x32', convGeometry(n, 114, 32, 32, 48, 1, 1, 0)],
  ['1x1 204->48 32x32', convGeometry(n, 204, 32, 32, 48, 1, 1, 0)],
  ['3x3 48->12 32x32', convGeometry(n, 48, 32, 32, 12, 3, 1, 1)],
  ['3x3 48->12 8x8', convGeometry(n, 48, 8, 8, 12, 3, 1, 1)],
  ['1x1 216->108 32x32', convGeometry(n, 216, 32, 32, 108, 1, 1, 0)],
];
console.log(`| conv | threads | fwd ms (GFLOP/s) | dx ms (GFLOP/s) | dw ms (GFLOP/s) |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, g] of cases) {
  const x = rand(g.cin * g.n * g.h * g.w);
  const w = rand(g.cout * g.cin * g.kh * g.kw);
  const y = new Float32Array(g.cout * g.n * g.ho * g.wo);
  const dy = rand(y.length);
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(w.length);
  const gf = (2 * g.cout * g.cin * g.kh * g.kw * g.n * g.ho * g.wo) / 1e6;
  for (const t of [1, 2]) {
    be.setThreads(t);
    const f = time(() => be.conv2d(g, x, w, null, y));
    const d = time(() => bw.conv2d(g, x, w, dy, dx, null, null));
    const dwt = time(() => bw.conv2d(g, x, w, dy, null, dw, null));
    const cell = (ms: number): string => `${ms.toFixed(2)} (${(gf / ms).toFixed(0)})`;
    console.log(`| ${name} | ${t} | ${cell(f)} | ${cell(d)} | ${cell(dwt)} |`);
  }
}
