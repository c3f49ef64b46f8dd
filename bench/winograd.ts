/**
 * Winograd F(4x4, 3x3) (csrc/conv_wino.c) against the path it replaces (conv_s1.c; DENSENET_WINOGRAD=0), on the
 * 3x3 convolutions of DenseNet-121 inference (128 -> 32, batch 1 and 8) and DenseNet-BC-100 training (48 -> 12,
 * batch 64: forward and dx), native backend, 1 and 2 threads, interleaved A/B in one run: medians of BENCH_REPS.
 * With --error it also prints, per shape, the max |error| of each path against a float64 direct convolution
 * (batch 1 / first image only), relative to max |y|. BENCH_CPU=1 times CPU time instead of wall time. Run: node --import tsx bench/winograd.ts [--error] [--only 121|bc]
 */
import { convGeometry, type ConvGeometry, type ConvPre } from '../src/backend/backend.js';
import { loadNative } from '../src/backend/native/index.js';
import { Rng } from '../src/tensor/rng.js';

const reps = Number(process.env.BENCH_REPS ?? 9);
const be = loadNative();
const bw = be.backward;
if (!bw) throw new Error('native backend has no backward ops');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : '';
const rng = new Rng(5);
const rand = (n: number, s = 1): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * s;
  return a;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** ms: wall time, or with BENCH_CPU=1 the process's CPU time (steadier on a loaded machine; at 2 threads it sums both) */
const cpu = process.env.BENCH_CPU === '1';
const now = (): number => (cpu ? (process.cpuUsage().user + process.cpuUsage().system) / 1000 : performance.now());
const setWino = (on: boolean): void => {
  process.env.DENSENET_WINOGRAD = on ? '1' : '0';
};

/** [label, geometry, forward with pre (a fused BN-ReLU), dx too] */
const cases: [string, ConvGeometry, boolean, boolean][] = [];
if (only !== 'bc')
  for (const n of [1, 8])
    for (const s of [56, 28, 14, 7]) cases.push([`121 128->32 ${s}x${s} b${n}`, convGeometry(n, 128, s, s, 32, 3, 1, 1), true, false]);
if (only !== '121')
  for (const s of [32, 16, 8]) cases.push([`BC 48->12 ${s}x${s} b64`, convGeometry(64, 48, s, s, 12, 3, 1, 1), true, true]);

/** y of image 0 in float64: the direct convolution of x' = pre(x) */
function direct(g: ConvGeometry, x: Float32Array, w: Float32Array, pre: ConvPre): Float64Array {
  const hw = g.h * g.w, y = new Float64Array(g.cout * hw);
  const xp = new Float64Array(g.cin * hw);
  for (let c = 0; c < g.cin; c++)
    for (let i = 0; i < hw; i++) xp[c * hw + i] = Math.max(0, x[c * g.n * hw + i] * pre.scale[c] + pre.shift[c]);
  for (let co = 0; co < g.cout; co++)
    for (let ci = 0; ci < g.cin; ci++)
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) {
          const wv = w[((co * g.cin + ci) * 3 + a) * 3 + b];
          for (let oh = 0; oh < g.h; oh++) {
            const ih = oh + a - 1;
            if (ih < 0 || ih >= g.h) continue;
            for (let ow = 0; ow < g.w; ow++) {
              const iw = ow + b - 1;
              if (iw >= 0 && iw < g.w) y[co * hw + oh * g.w + ow] += wv * xp[ci * hw + ih * g.w + iw];
            }
          }
        }
  return y;
}

const withError = process.argv.includes('--error');
console.log(`| conv | threads | fwd s1 ms | fwd wino ms | ratio | dx s1 ms | dx wino ms | ratio |${withError ? ' rel err s1 | rel err wino |' : ''}`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${withError ? ' ---: | ---: |' : ''}`);
for (const [name, g, usePre, dxToo] of cases) {
  const kdim = g.cin * 9;
  const x = rand(g.cin * g.n * g.h * g.w, 2);
  const w = rand(g.cout * kdim, Math.sqrt(3 / kdim));
  const pre: ConvPre = { scale: rand(g.cin, 1.5), shift: rand(g.cin, 1.5), relu: true };
  const y = new Float32Array(g.cout * g.n * g.ho * g.wo);
  const dy = rand(y.length);
  const dx = new Float32Array(x.length);
  let err = '';
  if (withError) {
    const ref = direct(g, x, w, pre);
    const hw = g.h * g.w;
    let big = 0;
    for (const v of ref) big = Math.max(big, Math.abs(v));
    const cols: string[] = [];
    for (const on of [false, true]) {
      setWino(on);
      be.conv2d(g, x, w, null, y, pre);
      let e = 0;
      for (let co = 0; co < g.cout; co++)
        for (let i = 0; i < hw; i++) e = Math.max(e, Math.abs(y[co * g.n * hw + i] - ref[co * hw + i]));
      cols.push(`${e.toExponential(1)} (${(e / big).toExponential(1)})`);
    }
    err = ` ${cols.join(' | ')} |`;
  }
  for (const t of [1, 2]) {
    be.setThreads(t);
    const ts: number[][] = [[], [], [], []];
    for (let r = 0; r < reps + 1; r++)
      for (const on of [false, true]) {
        setWino(on);
        let t0 = now();
        be.conv2d(g, x, w, null, y, usePre ? pre : null);
        const f = now() - t0;
        let d = 0;
        if (dxToo) {
          t0 = now();
          bw.conv2d(g, x, w, dy, dx, null, null, null, true);
          d = now() - t0;
        }
        if (r > 0) ts[on ? 1 : 0].push(f), ts[on ? 3 : 2].push(d);
      }
    const [fs, fw, ds, dw] = ts.map(median);
    const ms = (v: number): string => v.toFixed(3);
    const dxCols = dxToo ? `${ms(ds)} | ${ms(dw)} | ${(dw / ds).toFixed(2)}` : '- | - | -';
    console.log(`| ${name} | ${t} | ${ms(fs)} | ${ms(fw)} | ${(fw / fs).toFixed(2)} | ${dxCols} |${t === 1 ? err : ''}`);
  }
}
