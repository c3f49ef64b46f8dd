/**
 * Convolution with a fused input transform (backend.ts ConvPre: x' = max(0, x*scale + shift) per input
 * channel, zero padding of x'): forward y and backward dw (from x'), dx (w.r.t. x', accumulated) and db on
 * every fast backend against the reference, which is defined as the plain convolution of scaleShift(x).
 * Native runs every ISA this CPU has on 1 and 2 threads; the geometries reach each place the native kernels
 * read x: the 1x1 GEMM's B packing, conv_s1.c's padded planes, im2col rows (segment walk, strided, and the
 * offset table of small maps), conv2d_dw.c's direct rows, padded planes and im2col rows. Also overwriteDx
 * (dx overwritten, not accumulated) on the same geometries (conv_s1.c, the GEMM, col2im).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type Backend, type ConvGeometry, type ConvPre } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { availableBackends } from '../../src/backend/select.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/check.js';
import { backendConfigs } from './cases.js';
import { randArray } from './fixture.js';

const fast = (await availableBackends()).filter((b) => b.name !== 'reference' && b.backward);

const CASES: [string, ConvGeometry][] = [
  ['1x1 GEMM 40->24 at 9x9 (ragged columns)', convGeometry(3, 40, 9, 9, 24, 1, 1, 0)],
  ['1x1 GEMM 70->48 at 16x16', convGeometry(2, 70, 16, 16, 48, 1, 1, 0)],
  ['1x1 GEMM 21->49 at 13x11 (dw: 3 k blocks, ragged row panel, 48+1 columns)', convGeometry(5, 21, 13, 11, 49, 1, 1, 0)],
  // batch-1 DenseNet-121 widths: N = 49 = 48 + a 1-column dot edge (2 threads: row split), N = 196 = 4 * 48 + 4
  // (2 threads: column split, the edge on the second), N = 52 over rows (2 threads)
  ['1x1 GEMM 512->128 at 7x7 batch 1 (48 + 1 columns)', convGeometry(1, 512, 7, 7, 128, 1, 1, 0)],
  ['1x1 GEMM 256->96 at 14x14 batch 1 (4 x 48 + 4 columns)', convGeometry(1, 256, 14, 14, 96, 1, 1, 0)],
  ['1x1 GEMM 300->130 at 4x13 batch 1 (48 + 4 columns)', convGeometry(1, 300, 4, 13, 130, 1, 1, 0)],
  ['3x3 pad 1 24->12 at 16x16 (padded planes)', convGeometry(2, 24, 16, 16, 12, 3, 1, 1)],
  ['3x3 pad 1 16->72 at 14x14 (im2col rows)', convGeometry(2, 16, 14, 14, 72, 3, 1, 1)],
  ['3x3 pad 1 16->72 at 7x7 (offset table)', convGeometry(2, 16, 7, 7, 72, 3, 1, 1)],
  ['3x3 pad 1 12->12 at 5x5 (small)', convGeometry(3, 12, 5, 5, 12, 3, 1, 1)],
  ['3x3 stride 2 pad 1 6->5 at 9x9', convGeometry(2, 6, 9, 9, 5, 3, 2, 1)],
  ['1x1 stride 2 8->6 at 8x8', convGeometry(2, 8, 8, 8, 6, 1, 2, 0)],
  ['7x7 stride 2 pad 3 3->8 at 20x20', convGeometry(2, 3, 20, 20, 8, 7, 2, 3)],
];

function makePre(rng: Rng, cin: number, relu: boolean): ConvPre {
  // shifts of both signs and up to 1.5 so ReLU clips and a padded cell would differ from pre(0) = relu(shift)
  const scale = randArray(rng, cin, 1.5);
  const shift = randArray(rng, cin, 1.5);
  return { scale, shift, relu };
}

function check(be: Backend, g: ConvGeometry, relu: boolean, label: string): void {
  const rng = new Rng(g.cin * 31 + g.cout * 7 + g.h + (relu ? 1 : 0));
  const x = randArray(rng, g.cin * g.n * g.h * g.w, 2);
  const w = randArray(rng, g.cout * g.cin * g.kh * g.kw, Math.sqrt(3 / (g.cin * g.kh * g.kw)));
  const bias = randArray(rng, g.cout);
  const dy = randArray(rng, g.cout * g.n * g.ho * g.wo);
  const dx0 = randArray(rng, x.length);
  const pre = makePre(rng, g.cin, relu);
  const run = (b: Backend): Float32Array[] => {
    const y = new Float32Array(dy.length).fill(NaN);
    b.conv2d(g, x, w, bias, y, pre);
    const dx = dx0.slice();
    const dw = new Float32Array(w.length).fill(NaN);
    const db = new Float32Array(g.cout).fill(NaN);
    b.backward!.conv2d(g, x, w, dy, dx, dw, db, pre);
    const dwOnly = new Float32Array(w.length).fill(NaN);
    b.backward!.conv2d(g, x, w, dy, null, dwOnly, null, pre);
    const dxOver = new Float32Array(x.length).fill(NaN); // overwriteDx: NaN must not survive
    b.backward!.conv2d(g, x, w, dy, dxOver, null, null, null, true);
    const dxOver2 = dx0.slice();
    const dw2 = new Float32Array(w.length).fill(NaN);
    b.backward!.conv2d(g, x, w, dy, dxOver2, dw2, null, pre, true);
    return [y, dx, dw, db, dwOnly, dxOver, dxOver2, dw2];
  };
  const mine = run(be);
  const want = run(ref);
  const names = ['y', 'dx', 'dw', 'db', 'dw only', 'dx overwritten', 'dx overwritten with pre', 'dw with overwritten dx'];
  mine.forEach((m, i) => assertClose(m, want[i], `${label} ${names[i]}`, 1e-4, 1e-4));
}

test('reference conv2d with pre = conv2d of scaleShift(x), padding zero after the transform', () => {
  const g = convGeometry(2, 4, 5, 5, 3, 3, 1, 1);
  const rng = new Rng(5);
  const x = randArray(rng, g.cin * g.n * g.h * g.w);
  const w = randArray(rng, g.cout * g.cin * 9);
  const pre = { scale: randArray(rng, 4), shift: new Float32Array([1, 2, -1, 0.5]), relu: true };
  const xt = new Float32Array(x.length);
  ref.scaleShift(g.cin, g.n * g.h * g.w, x, pre.scale, pre.shift, true, xt);
  const [a, b] = [new Float32Array(g.cout * g.n * 25), new Float32Array(g.cout * g.n * 25)];
  ref.conv2d(g, x, w, null, a, pre);
  ref.conv2d(g, xt, w, null, b);
  assert.deepEqual(a, b);
  assert.throws(() => ref.conv2d(g, x, w, null, a, { ...pre, shift: new Float32Array(3) }), /conv2d: pre.shift has 3 elements/);
});

test(`conv2d with pre on ${fast.map((b) => b.name).join(', ') || 'no fast backend'}`, () => {});

for (const be of fast) {
  for (const cfg of backendConfigs(be)) {
    for (const [what, g] of CASES) {
      for (const relu of [true, false]) {
        const label = `${be.name}${cfg.label ? ` ${cfg.label}` : ''} conv2d pre ${what} relu=${relu}`;
        test(label, () => cfg.use(() => check(be, g, relu, label)));
      }
    }
  }
  test(`${be.name} conv2d pre with wrong lengths throws the reference's message`, () => {
    const g = convGeometry(1, 4, 5, 5, 3, 1, 1, 0);
    const z = (n: number): Float32Array => new Float32Array(n);
    assert.throws(() => be.conv2d(g, z(100), z(12), null, z(75), { scale: z(3), shift: z(4), relu: true }), /conv2d: pre.scale has 3 elements/);
    assert.throws(() => be.backward!.conv2d(g, z(100), z(12), z(75), null, z(12), null, { scale: z(4), shift: z(5), relu: true }),
      /conv2d backward: pre.shift has 5 elements/);
  });
}
