/**
 * The native backend's backward kernels on DenseNet-BC training shapes (batch 8 at 32x32 and 8x8), against
 * float64 direct loops, on every instruction set this CPU runs and on 1 and 2 threads: convolution backward
 * (3x3 pad 1 through the padded-plane kernels of csrc/conv_s1.c and conv2d_dw.c, 1x1 as GEMMs, a strided
 * stem through col2im) with its forward, and batch norm (+ReLU) backward on [216][8*32*32]. Accumulated
 * outputs start non-zero, overwritten ones as NaN. Error bound: 2e-5 of the sum of |terms| of each element.
 * Not here: the shared op tests (ops-backward*.test.ts run every backend) and timing (bench/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type ConvGeometry } from '../../src/backend/backend.js';
import { Rng } from '../../src/tensor/rng.js';
import { nativeOrSkip } from '../helpers/native.js';
import { batchStats, randArray } from './fixture.js';

const { nb, skip } = nativeOrSkip();

const rand = randArray;

/** Expected values in float64 and the sum of |terms| of each (the scale of its rounding error). */
interface Ref { v: Float64Array; mag: Float64Array }

function assertNear(actual: Float32Array, ref: Ref, label: string): void {
  for (let i = 0; i < ref.v.length; i++) {
    const d = Math.abs(actual[i] - ref.v[i]);
    if (!(d <= 2e-5 * ref.mag[i] + 1e-6)) {
      assert.fail(`${label}: element ${i} is ${actual[i]}, expected ${ref.v[i]} (|diff| ${d.toExponential(2)}, scale ${ref.mag[i].toExponential(2)})`);
    }
  }
}

/** Forward y, input gradient dx0 + dL/dx, weight and bias gradients, by direct loops over every tap. */
function convRef(g: ConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array, dx0: Float32Array): { y: Ref; dx: Ref; dw: Ref; db: Ref } {
  const mk = (n: number): Ref => ({ v: new Float64Array(n), mag: new Float64Array(n) });
  const y = mk(dy.length);
  const dx = mk(x.length);
  const dw = mk(w.length);
  const db = mk(g.cout);
  for (let i = 0; i < x.length; i++) (dx.v[i] = dx0[i]), (dx.mag[i] = Math.abs(dx0[i]));
  const { n, cin, h, w: wd, cout, kh, kw, stride, pad, ho, wo } = g;
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const wi = ((co * cin + ci) * kh + i) * kw + j;
          const wv = w[wi];
          let s = 0;
          let m = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < ho; oy++) {
              const iy = oy * stride - pad + i;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < wo; ox++) {
                const ix = ox * stride - pad + j;
                if (ix < 0 || ix >= wd) continue;
                const xi = ((ci * n + b) * h + iy) * wd + ix;
                const yi = ((co * n + b) * ho + oy) * wo + ox;
                const p = x[xi] * dy[yi];
                s += p;
                m += Math.abs(p);
                const q = wv * dy[yi];
                dx.v[xi] += q;
                dx.mag[xi] += Math.abs(q);
                const f = wv * x[xi];
                y.v[yi] += f;
                y.mag[yi] += Math.abs(f);
              }
            }
          }
          dw.v[wi] = s;
          dw.mag[wi] = m;
        }
      }
    }
    const plane = n * ho * wo;
    for (let i = co * plane; i < (co + 1) * plane; i++) (db.v[co] += dy[i]), (db.mag[co] += Math.abs(dy[i]));
  }
  return { y, dx, dw, db };
}

const CONVS: [string, ConvGeometry][] = [
  ['3x3 pad 1 bottleneck 48->12 at 32x32', convGeometry(8, 48, 32, 32, 12, 3, 1, 1)],
  ['3x3 pad 1 256->12 at 32x32 (basic DenseNet layer)', convGeometry(8, 256, 32, 32, 12, 3, 1, 1)],
  ['3x3 pad 1 48->12 at 8x8 (block 3)', convGeometry(8, 48, 8, 8, 12, 3, 1, 1)],
  ['3x3 pad 1 24->40 at 16x16 (two M tiles)', convGeometry(8, 24, 16, 16, 40, 3, 1, 1)],
  ['1x1 bottleneck 256->48 at 32x32', convGeometry(8, 256, 32, 32, 48, 1, 1, 0)],
  ['1x1 transition 216->108 at 16x16', convGeometry(8, 216, 16, 16, 108, 1, 1, 0)],
  ['1x1 61->17 at 13x11 (dw GEMM: 3 k blocks, ragged rows and columns)', convGeometry(5, 61, 13, 11, 17, 1, 1, 0)],
  ['7x7 stride 2 pad 3 stem 3->16 at 32x32', convGeometry(2, 3, 32, 32, 16, 7, 2, 3)],
];

const isas = nb ? nb.isas : [];
for (const [what, g] of CONVS) {
  let data: { x: Float32Array; w: Float32Array; dy: Float32Array; dx0: Float32Array; ref: ReturnType<typeof convRef> } | null = null;
  const get = (): NonNullable<typeof data> => {
    if (data === null) {
      const rng = new Rng(g.cin * 131 + g.cout * 7 + g.h);
      const x = rand(rng, g.cin * g.n * g.h * g.w);
      const w = rand(rng, g.cout * g.cin * g.kh * g.kw, Math.sqrt(3 / (g.cin * g.kh * g.kw)));
      const dy = rand(rng, g.cout * g.n * g.ho * g.wo);
      const dx0 = rand(rng, x.length);
      data = { x, w, dy, dx0, ref: convRef(g, x, w, dy, dx0) };
    }
    return data;
  };
  for (const isa of isas) {
    for (const threads of [1, 2]) {
      test(`native conv2d forward+backward ${what} x=[${g.cin},${g.n},${g.h},${g.w}] w=[${g.cout},${g.cin},${g.kh},${g.kw}] on ${isa}, ${threads} thread(s)`, { skip }, () => {
        const be = nb!;
        const bw = be.backward!;
        be.setIsa(isa);
        be.setThreads(threads);
        const { x, w, dy, dx0, ref } = get();
        const y = new Float32Array(dy.length).fill(NaN);
        be.conv2d(g, x, w, null, y);
        assertNear(y, ref.y, 'y');
        const dx = dx0.slice();
        const dw = new Float32Array(w.length).fill(NaN);
        const db = new Float32Array(g.cout).fill(NaN);
        bw.conv2d(g, x, w, dy, dx, dw, db);
        assertNear(dx, ref.dx, 'dx (accumulated)');
        assertNear(dw, ref.dw, 'dw');
        assertNear(db, ref.db, 'db');
      });
    }
  }
}

/** Batch norm (+ReLU) backward in float64, as src/backend/reference/batch-norm-backward.ts. */
function bnRef(c: number, s: number, x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array,
  beta: Float32Array, relu: boolean, dy: Float32Array, dx0: Float32Array): { dx: Ref; dgamma: Ref; dbeta: Ref } {
  const dx: Ref = { v: Float64Array.from(dx0), mag: new Float64Array(c * s) };
  const dgamma: Ref = { v: new Float64Array(c), mag: new Float64Array(c) };
  const dbeta: Ref = { v: new Float64Array(c), mag: new Float64Array(c) };
  const dz = new Float64Array(s);
  for (let ch = 0; ch < c; ch++) {
    let sdz = 0;
    let sdzx = 0;
    let mz = 0;
    let mzx = 0;
    for (let i = 0; i < s; i++) {
      const xh = (x[ch * s + i] - mean[ch]) * invStd[ch];
      const g = relu && !(gamma[ch] * xh + beta[ch] > 0) ? 0 : dy[ch * s + i];
      dz[i] = g;
      sdz += g;
      sdzx += g * xh;
      mz += Math.abs(g);
      mzx += Math.abs(g * xh);
    }
    dbeta.v[ch] = sdz;
    dbeta.mag[ch] = mz;
    dgamma.v[ch] = sdzx;
    dgamma.mag[ch] = mzx;
    const k = (gamma[ch] * invStd[ch]) / s;
    for (let i = 0; i < s; i++) {
      const xh = (x[ch * s + i] - mean[ch]) * invStd[ch];
      dx.v[ch * s + i] += k * (s * dz[i] - sdz - xh * sdzx);
      dx.mag[ch * s + i] = Math.abs(dx0[ch * s + i]) + Math.abs(k) * (s * Math.abs(dz[i]) + mz + Math.abs(xh) * mzx);
    }
  }
  return { dx, dgamma, dbeta };
}

for (const relu of [true, false]) {
  const c = 216;
  const s = 8 * 32 * 32;
  const rng = new Rng(relu ? 5 : 6);
  const x = rand(rng, c * s, 3);
  for (let i = 0; i < x.length; i++) x[i] += Math.floor(i / s) % 5; // per-channel offsets: means away from 0
  const { mean, invStd } = batchStats(c, s, x);
  const gamma = rand(rng, c);
  const beta = rand(rng, c);
  const dy = rand(rng, c * s);
  const dx0 = rand(rng, c * s);
  const ref = bnRef(c, s, x, mean, invStd, gamma, beta, relu, dy, dx0);
  for (const isa of isas) {
    for (const threads of [1, 2]) {
      test(`native batchNorm backward [${c}][${s}] relu=${relu} on ${isa}, ${threads} thread(s)`, { skip }, () => {
        const be = nb!;
        be.setIsa(isa);
        be.setThreads(threads);
        const dx = dx0.slice();
        const dgamma = new Float32Array(c).fill(NaN);
        const dbeta = new Float32Array(c).fill(NaN);
        be.backward!.batchNorm(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dgamma, dbeta);
        assertNear(dx, ref.dx, 'dx (accumulated)');
        assertNear(dgamma, ref.dgamma, 'dgamma');
        assertNear(dbeta, ref.dbeta, 'dbeta');
      });
    }
  }
}

test('native backward ops restore the default ISA and threads', { skip }, () => {
  const be = nb!;
  be.setIsa(be.isas[0]);
  be.setThreads(2);
  assert.equal(be.isa, be.isas[0]);
});
