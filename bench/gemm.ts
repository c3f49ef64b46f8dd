/**
 * GEMM and convolution throughput of the native backend on DenseNet-shaped problems, 1 and 2 threads.
 * C[M][N] = A[M][K] B[K][N]: M = output channels, N = batch*H*W, K = input channels (x9 for 3x3).
 * Prints the median GFLOP/s of several timed runs per shape. Not a test: the machine is shared and noisy.
 * Run: node --import tsx bench/gemm.ts [--isa avx2] [--runs 9]
 */
import { convGeometry, type ConvGeometry } from '../src/backend/backend.js';
import { loadNative, type NativeIsa } from '../src/backend/native/index.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(opt('runs') ?? 9);
const be = loadNative();
const isa = opt('isa');
if (isa !== undefined) be.setIsa(isa as NativeIsa);

function filled(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return a;
}

/**
 * Median GFLOP/s with 1 and with 2 threads. Samples (each ~40 ms) alternate between the thread counts so
 * both see the same background load on this shared machine.
 */
function measure(flops: number, fn: () => void): [number, number] {
  fn();
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.round(40 / once));
  const rates: [number[], number[]] = [[], []];
  for (let r = 0; r < runs; r++) {
    for (const t of [1, 2]) {
      be.setThreads(t);
      fn();
      const s = performance.now();
      for (let i = 0; i < reps; i++) fn();
      rates[t - 1].push((flops * reps) / ((performance.now() - s) * 1e6));
    }
  }
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [median(rates[0]), median(rates[1])];
}

const GEMMS: [string, number, number, number][] = [
  ['1x1 bottleneck, block 1, 56x56 b1', 128, 3136, 256],
  ['3x3 growth conv as GEMM, 56x56 b1', 32, 3136, 1152],
  ['1x1 bottleneck, block 2, 28x28 b1', 128, 784, 512],
  ['1x1 bottleneck, block 3, 14x14 b1', 128, 196, 1024],
  ['3x3 as GEMM, 7x7 b1', 32, 49, 1152],
  ['1x1 bottleneck, block 4, 7x7 b1', 128, 49, 1024],
  ['1x1 bottleneck, block 1, 56x56 b8', 128, 25088, 256],
];

const CONVS: [string, ConvGeometry][] = [
  ['conv 3x3 128->32, 56x56 b1 (im2col packing)', convGeometry(1, 128, 56, 56, 32, 3, 1, 1)],
  ['conv 3x3 128->32, 14x14 b1', convGeometry(1, 128, 14, 14, 32, 3, 1, 1)],
  ['conv 1x1 256->128, 56x56 b1 (direct)', convGeometry(1, 256, 56, 56, 128, 1, 1, 0)],
  ['conv 7x7/2 3->64, 224x224 b1 (stem)', convGeometry(1, 3, 224, 224, 64, 7, 2, 3)],
];

const rows: string[][] = [];
for (const [what, m, n, k] of GEMMS) {
  const a = filled(m * k);
  const b = filled(k * n);
  const c = new Float32Array(m * n);
  const rate = measure(2 * m * n * k, () => be.gemm(false, false, m, n, k, a, b, 0, c));
  rows.push([`gemm M=${m} N=${n} K=${k}`, what, ...rate.map((r) => r.toFixed(1))]);
}
for (const [what, g] of CONVS) {
  const x = filled(g.cin * g.n * g.h * g.w);
  const w = filled(g.cout * g.cin * g.kh * g.kw);
  const y = new Float32Array(g.cout * g.n * g.ho * g.wo);
  const flops = 2 * g.cout * g.n * g.ho * g.wo * g.cin * g.kh * g.kw;
  const rate = measure(flops, () => be.conv2d(g, x, w, null, y));
  rows.push([`conv2d M=${g.cout} N=${g.n * g.ho * g.wo} K=${g.cin * g.kh * g.kw}`, what, ...rate.map((r) => r.toFixed(1))]);
}

console.log(`native ${be.isa}, GFLOP/s, median of ${runs} runs`);
const head = ['problem', 'DenseNet use', '1 thread', '2 threads'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]): string => `| ${r.map((s, i) => (i >= 2 ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join(' | ')} |`;
console.log(line(head));
console.log(`| ${widths.map((w, i) => (i >= 2 ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`);
for (const r of rows) console.log(line(r));
