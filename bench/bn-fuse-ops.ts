/**
 * A dense layer's norm1 -> relu1 -> conv1x1 input-gradient backward in isolation, DenseNet-BC-100 block-1 shapes
 * (batch 64, 32x32, cin -> 48), native backend: unfused (conv2d dx into a fresh buffer, then batchNorm backward
 * accumulating into the block's gradient) against fused (backend.ts conv1x1BatchNorm, then the deferred terms,
 * which a block applies once per channel rather than once per layer: timed here per layer, the worst case).
 * Interleaved A/B, minimum and median ms of BENCH_REPS (this machine is shared: contention only adds time), and
 * the bytes each moves by the model "every array argument read (and an accumulated output also written) once".
 * Run: node --import tsx bench/bn-fuse-ops.ts [--cpu]   (DENSENET_THREADS=1 for one thread)
 */
import { convGeometry } from '../src/backend/backend.js';
import { loadNative } from '../src/backend/native/index.js';
import { Rng } from '../src/tensor/rng.js';
import { median } from './lib.js';

const reps = Number(process.env.BENCH_REPS ?? 9);
const cpu = process.argv.includes('--cpu'); // process CPU time (all threads) instead of wall time: steadier when loaded
const be = loadNative();
const bw = be.backward!;
if (!bw.conv1x1BatchNorm || !bw.batchNormDeferredAdd) throw new Error('this addon has no conv1x1BatchNorm');
const rng = new Rng(3);
const rand = (n: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() - 0.5;
  return a;
};
const n = Number(process.env.BENCH_BATCH ?? 64);
const s = n * 32 * 32;
const cout = 48;
console.log(`native ${be.isa}, ${be.threads} threads, batch ${n}, 32x32, ${cpu ? 'CPU' : 'wall'} ms, medians (min) of ${reps}, interleaved`);
console.log('| cin | unfused ms | fused, dw apart ms | fused with dw ms | + deferred add ms | (fused with dw + add) / unfused | GB moved unfused / fused with dw + add |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const c of [24, 114, 204]) {
  const g = convGeometry(n, c, 32, 32, cout, 1, 1, 0);
  const x = rand(c * s), w = rand(cout * c), dy = rand(cout * s), grad = rand(c * s), dAct = new Float32Array(c * s);
  const mean = rand(c), invStd = rand(c).map((v) => 1 + v), gamma = rand(c), beta = rand(c);
  const dgamma = new Float32Array(c), dbeta = new Float32Array(c), p = new Float32Array(c), q = new Float32Array(c);
  const dw = new Float32Array(cout * c), pre = { scale: rand(c), shift: rand(c), relu: true };
  const runs: [string, () => void][] = [
    ['unfused', () => {
      bw.conv2d(g, x, w, dy, dAct, dw, null, pre, true);
      bw.batchNorm(c, s, x, mean, invStd, gamma, beta, true, dAct, grad, dgamma, dbeta);
    }],
    ['fused', () => {
      bw.conv2d(g, x, w, dy, null, dw, null, pre);
      bw.conv1x1BatchNorm!(c, s, cout, w, dy, x, mean, invStd, gamma, beta, true, grad, dgamma, dbeta, p, q);
    }],
    ['fused+dw', () => bw.conv1x1BatchNorm!(c, s, cout, w, dy, x, mean, invStd, gamma, beta, true, grad, dgamma, dbeta, p, q, dw, pre)],
    ['add', () => bw.batchNormDeferredAdd!(c, s, x, mean, p, q, grad)],
  ];
  const t = new Map<string, number[]>(runs.map(([k]) => [k, []]));
  for (let r = -1; r < reps; r++) {
    for (const [k, f] of runs) {
      const t0 = cpu ? process.cpuUsage() : null;
      const w0 = performance.now();
      f();
      const ms = t0 ? (() => { const d = process.cpuUsage(t0); return (d.user + d.system) / 1000; })() : performance.now() - w0;
      if (r >= 0) t.get(k)!.push(ms);
    }
  }
  const cell = (k: string): string => `${median(t.get(k)!).toFixed(2)} (${Math.min(...t.get(k)!).toFixed(2)})`;
  const ratio = (median(t.get('fused+dw')!) + median(t.get('add')!)) / median(t.get('unfused')!);
  // bytes: unfused conv dw reads x, dy; dx reads dy, writes dAct; BN reads x, dAct (pass 1), x, dAct, grad and writes
  // grad (pass 2). Fused with dw: dy (once per thread), x, grad r+w; the add: x, grad r+w (once per block, not layer)
  const cs = c * s * 4, dys = cout * s * 4;
  const unfusedBytes = 2 * dys + cs + cs + 2 * cs + 4 * cs;
  const fusedBytes = be.threads * dys + 3 * cs + 3 * cs;
  console.log(`| ${c} | ${cell('unfused')} | ${cell('fused')} | ${cell('fused+dw')} | ${cell('add')} | ${ratio.toFixed(2)} | ${(unfusedBytes / 1e9).toFixed(2)} / ${(fusedBytes / 1e9).toFixed(2)} |`);
}
