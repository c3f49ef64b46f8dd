/**
 * The stride-1 padded-plane convolution (csrc/conv_s1.c) on the geometries that reach its blocking: many
 * input channels (several channel blocks: DenseNet-121's 128 -> 32 and DenseNet-161's 192 -> 48 3x3 convs at
 * 56x56, 14x14, 7x7), maps wide enough for several column chunks (64x64), cout not a multiple of the 12-row
 * tile, batch 1 (threads split the tiles of one image) and > 1, with and without the input transform `pre`
 * and bias. Input gradients with cin <= 64 run the same kernel with the flipped weight (a_flip) and are
 * checked accumulated (beta = 1) and overwritten. Every fast backend against the reference; native on each
 * ISA this CPU has, 1 and 2 threads. The reference runs once per case.
 */
import { test } from 'node:test';
import { convGeometry, type Backend, type ConvGeometry } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { availableBackends } from '../../src/backend/select.js';
import { assertClose } from '../helpers/check.js';
import { backendConfigs } from './cases.js';
import { convInputs, type ConvInputs } from './fixture.js';

const fast = (await availableBackends()).filter((b) => b.name !== 'reference' && b.backward);

/** [label, geometry, with input gradient] */
const CASES: [string, ConvGeometry, boolean][] = [
  ['121 3x3 128->32 at 56x56 batch 1', convGeometry(1, 128, 56, 56, 32, 3, 1, 1), false],
  ['121 3x3 128->32 at 14x14 batch 1', convGeometry(1, 128, 14, 14, 32, 3, 1, 1), false],
  ['121 3x3 128->32 at 14x14 batch 3', convGeometry(3, 128, 14, 14, 32, 3, 1, 1), false],
  ['121 3x3 128->32 at 7x7 batch 1', convGeometry(1, 128, 7, 7, 32, 3, 1, 1), false],
  ['121 3x3 128->32 at 7x7 batch 5', convGeometry(5, 128, 7, 7, 32, 3, 1, 1), false],
  ['161 3x3 192->48 at 7x7 batch 2', convGeometry(2, 192, 7, 7, 48, 3, 1, 1), false],
  ['3x3 40->20 at 64x64 batch 2 (column chunks)', convGeometry(2, 40, 64, 64, 20, 3, 1, 1), true],
  ['3x3 40->50 at 70x45 batch 1 (unequal chunks, 5 row tiles)', convGeometry(1, 40, 70, 45, 50, 3, 1, 1), true],
  ['3x3 100->7 at 14x14 batch 2 (dx: 100 input channels of the transposed conv)', convGeometry(2, 7, 14, 14, 100, 3, 1, 1), true],
  ['3x3 48->12 at 8x8 batch 4 (DenseNet-BC)', convGeometry(4, 48, 8, 8, 12, 3, 1, 1), true],
  ['5x5 pad 2 70->13 at 11x9 batch 2', convGeometry(2, 70, 11, 9, 13, 5, 1, 2), true],
  ['3x3 pad 0 90->33 at 10x12 batch 1', convGeometry(1, 90, 10, 12, 33, 3, 1, 0), true],
];

type Inputs = ConvInputs;
const inputs = (g: ConvGeometry): Inputs => convInputs(g, g.cin * 13 + g.cout * 5 + g.h * 3 + g.n);

const NAMES = ['y', 'y with pre and bias', 'dx accumulated', 'dx overwritten'];

function run(b: Backend, g: ConvGeometry, d: Inputs, dx: boolean): Float32Array[] {
  const y = new Float32Array(d.dy.length).fill(NaN);
  b.conv2d(g, d.x, d.w, null, y);
  const yp = new Float32Array(d.dy.length).fill(NaN);
  b.conv2d(g, d.x, d.w, d.bias, yp, d.pre);
  if (!dx) return [y, yp];
  const dxa = d.dx0.slice();
  b.backward!.conv2d(g, d.x, d.w, d.dy, dxa, null, null);
  const dxo = new Float32Array(d.x.length).fill(NaN);
  b.backward!.conv2d(g, d.x, d.w, d.dy, dxo, null, null, null, true);
  return [y, yp, dxa, dxo];
}

const want = new Map<string, Float32Array[]>();

test(`conv_s1 geometries on ${fast.map((b) => b.name).join(', ') || 'no fast backend'}`, () => {});

for (const be of fast) {
  for (const [what, g, dx] of CASES) {
    test(`${be.name} conv2d ${what}`, () => {
      const d = inputs(g);
      let expected = want.get(what);
      if (!expected) want.set(what, (expected = run(ref, g, d, dx)));
      for (const cfg of backendConfigs(be)) {
        cfg.use(() => {
          const mine = run(be, g, d, dx);
          mine.forEach((m, i) => assertClose(m, expected[i], `${be.name} ${cfg.label} ${what} ${NAMES[i]}`, 1e-4, 1e-4));
        });
      }
    });
  }
}
