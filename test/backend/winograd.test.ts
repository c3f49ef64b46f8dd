/**
 * Winograd F(4x4, 3x3) convolutions (csrc/conv_wino.c) on the geometries that reach its corners: DenseNet-121's
 * 3x3 128 -> 32 (blocks of tiles with dead lanes), DenseNet-BC's 48 -> 12 with images smaller than a block (one
 * stage segment per image), maps whose sides are not multiples of 4 (partial edge tiles), cout not a multiple of
 * the micro-kernel's rows, few input channels; each with and without the fused BN-ReLU `pre` and bias, and the
 * input gradient (the same kernel on the flipped transposed weight) accumulated and overwritten. Native with
 * Winograd turned on everywhere (DENSENET_WINOGRAD=1; by default only eval-mode forwards ask for it, csrc/dispatch.c
 * says why) against the reference
 * on each ISA, 1 and 2 threads, then the same cases with it off (conv_s1.c). Tolerances are those of the other
 * conv tests (1e-4 abs + rel); F(4x4) adds a few 1e-6 relative to the outputs' scale (bench/winograd.ts --error).
 * The per-call flag (ConvGeometry.winograd), on native and both wasm modules: winograd-eval.test.ts.
 */
import { test } from 'node:test';
import { convGeometry, type Backend, type ConvGeometry } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { availableBackends } from '../../src/backend/select.js';
import { assertClose } from '../helpers/check.js';
import { backendConfigs } from './cases.js';
import { convInputs, type ConvInputs } from './fixture.js';

const native = (await availableBackends()).find((b) => b.name === 'native' && b.backward);

/** [label, geometry] (all 3x3 stride 1 pad 1 with at least 32 tiles, conv_wino.c MIN_TILES) */
const CASES: [string, ConvGeometry][] = [
  ['121 3x3 128->32 at 28x28 batch 1', convGeometry(1, 128, 28, 28, 32, 3, 1, 1)],
  ['BC 3x3 48->12 at 8x8 batch 9', convGeometry(9, 48, 8, 8, 12, 3, 1, 1)],
  ['3x3 20->50 at 23x19 batch 2 (edge tiles, 50 rows)', convGeometry(2, 20, 23, 19, 50, 3, 1, 1)],
  ['3x3 7->13 at 30x9 batch 3', convGeometry(3, 7, 30, 9, 13, 3, 1, 1)],
  ['3x3 5->3 at 6x6 batch 11 (one tile row per image)', convGeometry(11, 5, 6, 6, 3, 3, 1, 1)],
];

type Inputs = ConvInputs;
const inputs = (g: ConvGeometry): Inputs => convInputs(g, g.cin * 7 + g.cout * 11 + g.h + g.n);

const NAMES = ['y', 'y with pre and bias', 'dx accumulated', 'dx overwritten'];

function run(b: Backend, g: ConvGeometry, d: Inputs): Float32Array[] {
  const y = new Float32Array(d.dy.length).fill(NaN);
  b.conv2d(g, d.x, d.w, null, y);
  const yp = new Float32Array(d.dy.length).fill(NaN);
  b.conv2d(g, d.x, d.w, d.bias, yp, d.pre);
  const dxa = d.dx0.slice();
  b.backward!.conv2d(g, d.x, d.w, d.dy, dxa, null, null);
  const dxo = new Float32Array(d.x.length).fill(NaN);
  b.backward!.conv2d(g, d.x, d.w, d.dy, dxo, null, null, null, true);
  return [y, yp, dxa, dxo];
}

const want = new Map<string, Float32Array[]>();
const expected = (what: string, g: ConvGeometry, d: Inputs): Float32Array[] => {
  let e = want.get(what);
  if (!e) want.set(what, (e = run(ref, g, d)));
  return e;
};

/** runs fn with DENSENET_WINOGRAD=value (the addon reads it per call) */
function withWinograd(value: string, fn: () => void): void {
  const before = process.env.DENSENET_WINOGRAD;
  process.env.DENSENET_WINOGRAD = value;
  try {
    fn();
  } finally {
    if (before === undefined) delete process.env.DENSENET_WINOGRAD;
    else process.env.DENSENET_WINOGRAD = before;
  }
}

test(`Winograd geometries on ${native ? 'native' : 'no native backend'}`, () => {});

if (native) {
  for (const [what, g] of CASES) {
    test(`native Winograd conv2d ${what}`, () => {
      const d = inputs(g);
      const exp = expected(what, g, d);
      for (const cfg of backendConfigs(native)) {
        cfg.use(() => withWinograd('1', () => {
          const mine = run(native, g, d);
          mine.forEach((m, i) => assertClose(m, exp[i], `native ${cfg.label} ${what} ${NAMES[i]}`, 1e-4, 1e-4));
        }));
      }
    });
  }
  test('native with DENSENET_WINOGRAD=0 (conv_s1.c) agrees with the reference on the same cases', () => {
    withWinograd('0', () => {
      for (const [what, g] of CASES) {
        const d = inputs(g);
        const exp = expected(what, g, d);
        run(native, g, d).forEach((m, i) => assertClose(m, exp[i], `native off ${what} ${NAMES[i]}`, 1e-4, 1e-4));
      }
    });
  });
}
