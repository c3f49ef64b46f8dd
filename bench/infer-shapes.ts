/**
 * The non-3x3 ops of a DenseNet-121 inference forward at 224x224, each shape in isolation on the native backend:
 * GFLOP/s (convolutions) or GB/s (pooling) at 1 and 2 threads, from the MINIMUM of --reps timed calls (this
 * machine is shared; contention only ever adds time). Dense-layer 1x1 convolutions run with their BN-ReLU
 * fused into packing (ConvPre), as the model runs them. Used to find which shapes fall short of the GEMM's rate.
 * `--cpu`: the process's CPU time instead of the wall clock (use with --threads 1 on a loaded machine).
 *   node --import tsx bench/infer-shapes.ts [--batch 1,8] [--reps 15] [--threads 1,2] [--filter stem] [--cpu]
 */
import { convGeometry, poolGeometry, type ConvGeometry, type ConvPre } from '../src/backend/backend.js';
import { loadNative } from '../src/backend/native/index.js';
import { Rng } from '../src/tensor/rng.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const batches = opt('--batch', '1,8').split(',').map(Number);
const reps = Number(opt('--reps', '15'));
const filter = opt('--filter', '');
const threads = opt('--threads', '1,2').split(',').map(Number);
const now = args.includes('--cpu') ? (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : (): number => performance.now();
const be = loadNative();
const rng = new Rng(3);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform() - 0.5);

function best(f: () => void): number {
  f();
  let m = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    f();
    m = Math.min(m, now() - t0);
  }
  return m;
}

interface Case { name: string; flops: number; run: () => void }
const cases: Case[] = [];
function conv(name: string, g: ConvGeometry, withPre: boolean): void {
  const x = rand(g.cin * g.n * g.h * g.w), w = rand(g.cout * g.cin * g.kh * g.kw), y = new Float32Array(g.cout * g.n * g.ho * g.wo);
  const pre: ConvPre | null = withPre ? { scale: rand(g.cin).map((v) => v + 1), shift: rand(g.cin), relu: true } : null;
  cases.push({ name, flops: 2 * g.cout * g.cin * g.kh * g.kw * g.n * g.ho * g.wo, run: () => be.conv2d(g, x, w, null, y, pre) });
}
for (const n of batches) {
  conv(`stem 7x7/2 3->64 b${n}`, convGeometry(n, 3, 224, 224, 64, 7, 2, 3), false);
  const blocks: [number, number, number][] = [[56, 64, 6], [28, 128, 12], [14, 256, 24], [7, 512, 16]];
  for (const [s, c0, layers] of blocks) {
    for (const l of [0, Math.floor(layers / 2), layers - 1]) conv(`1x1 ${c0 + 32 * l}->128 ${s}x${s} b${n}`, convGeometry(n, c0 + 32 * l, s, s, 128, 1, 1, 0), true);
    if (s > 7) conv(`trans 1x1 ${c0 + 32 * layers}->${(c0 + 32 * layers) / 2} ${s / 2}x${s / 2} b${n}`, convGeometry(n, c0 + 32 * layers, s / 2, s / 2, (c0 + 32 * layers) / 2, 1, 1, 0), false);
  }
  const pg = poolGeometry(64, n, 112, 112, 3, 2, 1);
  const px = rand(64 * n * 112 * 112), py = new Float32Array(64 * n * 56 * 56);
  const pp: ConvPre = { scale: rand(64), shift: rand(64), relu: true };
  cases.push({ name: `stem maxpool (pre) b${n}`, flops: 0, run: () => be.maxPool2d(pg, px, py, pp) });
}
console.log(`native ${be.isa}; min of ${reps}`);
console.log('| op | threads | ms | GFLOP/s |');
console.log('| --- | ---: | ---: | ---: |');
for (const c of cases) {
  if (filter && !c.name.includes(filter)) continue;
  for (const t of threads) {
    be.setThreads(t);
    const ms = best(c.run);
    console.log(`| ${c.name} | ${t} | ${ms.toFixed(3)} | ${c.flops ? (c.flops / ms / 1e6).toFixed(0) : '-'} |`);
  }
}
