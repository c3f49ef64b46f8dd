/**
 * The native backend's own tests, beyond the shared op tests: GEMM against a float64 triple loop over many
 * shapes (all transposes, beta 0/1, views with odd offsets, guard cells around the output) and conv2d on
 * DenseNet shapes against direct loops, linear (small-batch dot products and the GEMM path) against the
 * reference, on every instruction set the CPU runs and on 1 and 2 threads.
 * Bad lengths must throw Errors naming the op, never crash. Not here: timing (bench/gemm.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convGeometry, type ConvGeometry } from '../../src/backend/backend.js';
import type { NativeBackend } from '../../src/backend/native/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { referenceBackend as refBackend } from '../../src/backend/reference/index.js';
import { assertClose } from '../helpers/check.js';
import { gemmRef } from '../helpers/gemm-ref.js';
import { nativeOrSkip } from '../helpers/native.js';

const { nb, skip } = nativeOrSkip();
const addonPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/Release/densenet_native.node');

const rng = new Rng(1234);
function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

/** A view of `n` floats at a float offset inside a larger buffer whose other cells hold a guard value. */
function view(n: number, offset: number, guard = 777): { all: Float32Array; v: Float32Array } {
  const all = new Float32Array(n + offset + 5).fill(guard);
  return { all, v: all.subarray(offset, offset + n) };
}

function checkGuards(all: Float32Array, offset: number, n: number, guard: number, label: string): void {
  for (let i = 0; i < all.length; i++) {
    if ((i < offset || i >= offset + n) && all[i] !== guard) assert.fail(`${label}: wrote outside c at ${i}`);
  }
}


function assertNear(actual: Float32Array, ref: Float64Array, mag: Float64Array, label: string): void {
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(actual[i] - ref[i]);
    if (!(d <= 2e-6 * mag[i] + 1e-6)) {
      assert.fail(`${label}: element ${i} is ${actual[i]}, expected ${ref[i]} (|diff| ${d.toExponential(2)}, scale ${mag[i].toExponential(2)})`);
    }
  }
}

const SIZES = [1, 7, 8, 15, 16, 17, 33, 49, 64, 100, 129, 300];
interface GemmCase { tA: boolean; tB: boolean; m: number; n: number; k: number; beta: 0 | 1 }
const GEMM_CASES: GemmCase[] = [];
SIZES.forEach((m, i) => {
  for (let t = 0; t < 4; t++) {
    const n = SIZES[(i + 3 * t + 5) % SIZES.length];
    const k = SIZES[(i + 7 * t + 2) % SIZES.length];
    GEMM_CASES.push({ tA: (t & 1) === 1, tB: (t & 2) === 2, m, n, k, beta: ((i + t) % 2) as 0 | 1 });
  }
});
// blocking edges: k over several k-blocks, n over several column blocks, m*k past the kept-A capacity
GEMM_CASES.push({ tA: false, tB: false, m: 32, n: 3136, k: 40, beta: 0 });
GEMM_CASES.push({ tA: false, tB: false, m: 40, n: 1000, k: 1152, beta: 1 });
GEMM_CASES.push({ tA: true, tB: true, m: 300, n: 100, k: 1000, beta: 0 });
// B packed inside the first row panel's kernels (gemm.c ukf): short first panel, packed A, column and k blocks
GEMM_CASES.push({ tA: true, tB: false, m: 7, n: 1541, k: 517, beta: 1 });
GEMM_CASES.push({ tA: false, tB: false, m: 129, n: 817, k: 260, beta: 0 });
// narrow column edges as dot products (gemm.c edge_dot: up to 4 columns past the last 48-wide panel), and
// widths just past it; the first three are big enough to split over 2 threads (rows, rows, columns)
GEMM_CASES.push({ tA: false, tB: false, m: 128, n: 49, k: 512, beta: 0 });
GEMM_CASES.push({ tA: false, tB: false, m: 40, n: 52, k: 1000, beta: 1 });
GEMM_CASES.push({ tA: false, tB: false, m: 96, n: 196, k: 128, beta: 1 });
GEMM_CASES.push({ tA: false, tB: false, m: 33, n: 4, k: 300, beta: 0 });
GEMM_CASES.push({ tA: false, tB: false, m: 7, n: 51, k: 37, beta: 1 });
GEMM_CASES.push({ tA: false, tB: false, m: 9, n: 50, k: 20, beta: 0 });
GEMM_CASES.push({ tA: false, tB: false, m: 9, n: 53, k: 20, beta: 1 });
GEMM_CASES.push({ tA: false, tB: false, m: 17, n: 47, k: 64, beta: 0 });
GEMM_CASES.push({ tA: false, tB: true, m: 5, n: 0, k: 3, beta: 0 });
GEMM_CASES.push({ tA: false, tB: false, m: 3, n: 4, k: 0, beta: 1 });

/** One GEMM case on the backend's current ISA/threads, inputs and output as offset views. */
function runGemm(be: NativeBackend, cs: GemmCase, label: string): void {
  const { tA, tB, m, n, k, beta } = cs;
  const a = view(m * k, 3);
  a.v.set(rand(m * k));
  const b = view(k * n, 1);
  b.v.set(rand(k * n));
  const c = view(m * n, 5, 555);
  c.v.set(rand(m * n));
  const ref = gemmRef(tA, tB, m, n, k, a.v, b.v, beta, c.v);
  be.gemm(tA, tB, m, n, k, a.v, b.v, beta, c.v);
  assertNear(c.v, ref.c, ref.mag, label);
  checkGuards(c.all, 5, m * n, 555, label);
}

/** Direct convolution in float64 (the definition in backend.ts). */
function convRef(g: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null): { y: Float64Array; mag: Float64Array } {
  const y = new Float64Array(g.cout * g.n * g.ho * g.wo);
  const mag = new Float64Array(y.length);
  for (let co = 0; co < g.cout; co++) {
    for (let b = 0; b < g.n; b++) {
      for (let oy = 0; oy < g.ho; oy++) {
        for (let ox = 0; ox < g.wo; ox++) {
          let s = bias ? bias[co] : 0;
          let t = Math.abs(s);
          for (let ci = 0; ci < g.cin; ci++) {
            for (let i = 0; i < g.kh; i++) {
              const iy = oy * g.stride - g.pad + i;
              if (iy < 0 || iy >= g.h) continue;
              for (let j = 0; j < g.kw; j++) {
                const ix = ox * g.stride - g.pad + j;
                if (ix < 0 || ix >= g.w) continue;
                const p = w[((co * g.cin + ci) * g.kh + i) * g.kw + j] * x[((ci * g.n + b) * g.h + iy) * g.w + ix];
                s += p;
                t += Math.abs(p);
              }
            }
          }
          const o = ((co * g.n + b) * g.ho + oy) * g.wo + ox;
          y[o] = s;
          mag[o] = t;
        }
      }
    }
  }
  return { y, mag };
}

const CONVS: [string, ConvGeometry, boolean][] = [
  ['1x1', convGeometry(2, 16, 9, 9, 24, 1, 1, 0), false],
  ['1x1 bottleneck batch 1 7x7', convGeometry(1, 96, 7, 7, 128, 1, 1, 0), false],
  ['3x3 pad 1', convGeometry(2, 8, 14, 14, 32, 3, 1, 1), true],
  ['3x3 pad 1 growth 32 at 28x28', convGeometry(1, 128, 28, 28, 32, 3, 1, 1), false],
  ['3x3 pad 1 at 7x7 batch 3', convGeometry(3, 128, 7, 7, 12, 3, 1, 1), false],
  ['3x3 pad 1 at 7x7 batch 20, two column blocks', convGeometry(20, 16, 7, 7, 8, 3, 1, 1), true],
  ['7x7 stride 2 pad 3 stem', convGeometry(2, 3, 32, 32, 16, 7, 2, 3), true],
  ['3x3 stride 2 no pad, odd size', convGeometry(2, 5, 11, 9, 7, 3, 2, 0), true],
  ['1x1 stride 2', convGeometry(2, 6, 10, 10, 9, 1, 2, 0), false],
  ['5x5 pad 2 taller than wide', convGeometry(1, 4, 13, 6, 5, 5, 1, 2), false],
];

const isas = nb ? nb.isas : [];
for (const isa of isas) {
  for (const threads of [1, 2]) {
    test(`native gemm on ${isa}, ${threads} thread(s): ${GEMM_CASES.length} shapes`, { skip }, () => {
      const be = nb as NativeBackend;
      be.setIsa(isa);
      be.setThreads(threads);
      for (const cs of GEMM_CASES) {
        runGemm(be, cs, `gemm ${isa} t=${threads} tA=${cs.tA} tB=${cs.tB} m=${cs.m} n=${cs.n} k=${cs.k} beta=${cs.beta}`);
      }
    });
    test(`native linear at batch 1, small (dot products) and large (GEMM) on ${isa}, ${threads} thread(s)`, { skip }, () => {
      const be = nb as NativeBackend;
      be.setIsa(isa);
      be.setThreads(threads);
      // batches either side of LINEAR_DOT_MAX (8, csrc/kernels.h); in = 1027 leaves a scalar tail on every ISA;
      // weights of 1 MiB or more split output features over 2 threads at small batches (dispatch.c)
      for (const [n, inF, outF, withBias] of [[1, 1024, 1000, true], [5, 300, 1001, true], [1, 1027, 13, false], [3, 1027, 40, true], [8, 64, 1000, true],
        [8, 5, 3, false], [9, 130, 33, true], [40, 1027, 19, false]] as const) {
        const x = rand(n * inF);
        const w = rand(outF * inF);
        const b = withBias ? rand(outF) : null;
        const y = view(n * outF, 3, 555);
        be.linear(n, inF, outF, x, w, b, y.v);
        const want = new Float32Array(n * outF);
        refBackend.linear(n, inF, outF, x, w, b, want);
        const label = `linear n=${n} in=${inF} out=${outF}${withBias ? ' bias' : ''} ${isa} t=${threads}`;
        assertClose(y.v, want, label, 1e-4, 1e-4);
        checkGuards(y.all, 3, y.v.length, 555, label);
      }
    });
    for (const [what, g, withBias] of CONVS) {
      test(`native conv2d ${what} x=[${g.cin},${g.n},${g.h},${g.w}] w=[${g.cout},${g.cin},${g.kh},${g.kw}] on ${isa}, ${threads} thread(s)`, { skip }, () => {
        const be = nb as NativeBackend;
        be.setIsa(isa);
        be.setThreads(threads);
        const x = view(g.cin * g.n * g.h * g.w, 2);
        x.v.set(rand(x.v.length));
        const w = rand(g.cout * g.cin * g.kh * g.kw);
        const bias = withBias ? rand(g.cout) : null;
        const y = view(g.cout * g.n * g.ho * g.wo, 7, 999);
        be.conv2d(g, x.v, w, bias, y.v);
        const ref = convRef(g, x.v, w, bias);
        assertNear(y.v, ref.y, ref.mag, `conv2d ${what} ${isa}`);
        checkGuards(y.all, 7, y.v.length, 999, `conv2d ${what}`);
      });
    }
  }
}

test('native ops reject bad lengths with Errors naming the op', { skip }, () => {
  const be = nb as NativeBackend;
  const z = (n: number): Float32Array => new Float32Array(n);
  assert.throws(() => be.gemm(false, false, 2, 3, 4, z(8), z(12), 0, z(5)), /^Error: gemm: c has 5 elements/);
  assert.throws(() => be.gemm(false, false, 2, 3, 4, z(8), z(12), 1, z(6).subarray(1)), /gemm/);
  assert.throws(() => be.conv2d(convGeometry(1, 3, 8, 8, 4, 3, 1, 1), z(191), z(108), null, z(256)), /conv2d: x has 191/);
  assert.throws(() => be.linear(2, 3, 4, z(6), z(12), z(3), z(8)), /linear: b has 3/);
  assert.throws(() => be.scaleShift(2, 3, z(6), z(2), z(2), true, z(5)), /scaleShift/);
  const buf = z(20);
  assert.throws(() => be.gemm(false, false, 2, 2, 2, buf.subarray(0, 4), buf.subarray(4, 8), 0, buf.subarray(2, 6)), /gemm: c must not overlap/);
});

test('native setIsa and setThreads reject what this machine cannot do', { skip }, () => {
  const be = nb as NativeBackend;
  assert.throws(() => be.setIsa('neon' === be.isas[0] ? 'avx512' : 'neon'), /setIsa/);
  assert.throws(() => be.setThreads(0), /setThreads/);
  be.setIsa(be.isas[0]);
  assert.equal(be.isa, be.isas[0]);
  be.setThreads(2);
  assert.equal(be.threads, 2);
});

test('DENSENET_ISA forces an instruction set at load; an unknown one fails with a clear message', { skip }, () => {
  const last = isas[isas.length - 1];
  const code = `process.stdout.write(require(${JSON.stringify(addonPath)}).isa())`;
  const ok = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, DENSENET_ISA: last }, encoding: 'utf8' });
  assert.equal(ok.stdout, last);
  const bad = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, DENSENET_ISA: 'mmx' }, encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /DENSENET_ISA is not one of/);
});
