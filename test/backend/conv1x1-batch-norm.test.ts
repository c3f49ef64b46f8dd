/**
 * The fused 1x1-convolution input gradient + batch norm (+ReLU) backward with deferred per-channel terms
 * (backend.ts conv1x1BatchNorm, batchNormDeferredAdd). Reference: two layers that read the same channels (as in a
 * dense block), each fused, then one deferred add, equal conv2d backward's dx followed by batchNorm backward per
 * layer. Native (every ISA this CPU runs, 1 and 2 threads) against the reference, on a DenseNet-BC bottleneck shape
 * and a ragged one (rows and columns not multiples of any tile), with the weight gradient (through a BN-ReLU input
 * transform, and without). Accumulated outputs start non-zero, overwritten ones NaN.
 */
import { test } from 'node:test';
import { convGeometry, type BackwardOps, type ConvPre } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/check.js';
import { batchStats, randArray } from './fixture.js';
import { nativeOrSkip } from '../helpers/native.js';

const { nb, skip } = nativeOrSkip();

const rand = randArray;

interface Layer { w: Float32Array; dy: Float32Array; gamma: Float32Array; beta: Float32Array; pre: ConvPre | null }
interface Case { c: number; s: number; cout: number; x: Float32Array; mean: Float32Array; invStd: Float32Array; dx0: Float32Array; layers: Layer[] }

function makeCase(c: number, s: number, cout: number, seed: number): Case {
  const rng = new Rng(seed);
  const x = rand(rng, c * s, 2);
  for (let i = 0; i < x.length; i++) x[i] += Math.floor(i / s) % 3; // per-channel offsets: means away from 0
  const { mean, invStd } = batchStats(c, s, x);
  // layer 0's weight gradient reads x through a BN-ReLU transform (as in memory-efficient training), layer 1's x itself
  const layers = [0, 1].map((i) => ({
    w: rand(rng, cout * c, Math.sqrt(3 / c)), dy: rand(rng, cout * s), gamma: rand(rng, c), beta: rand(rng, c, 0.5),
    pre: i === 0 ? { scale: rand(rng, c), shift: rand(rng, c), relu: true } : null,
  }));
  return { c, s, cout, x, mean, invStd, dx0: rand(rng, c * s), layers };
}

interface Out { dx: Float32Array; dgamma: Float32Array[]; dbeta: Float32Array[]; dw: Float32Array[] }

/** Both layers fused, then the deferred terms once. */
function fused(bw: BackwardOps, k: Case, relu: boolean): Out & { p: Float32Array; q: Float32Array } {
  const dx = k.dx0.slice();
  const p = new Float32Array(k.c);
  const q = new Float32Array(k.c);
  const out = { dx, dgamma: [] as Float32Array[], dbeta: [] as Float32Array[], dw: [] as Float32Array[], p, q };
  for (const l of k.layers) {
    const dgamma = new Float32Array(k.c).fill(NaN);
    const dbeta = new Float32Array(k.c).fill(NaN);
    const dw = new Float32Array(k.cout * k.c).fill(NaN);
    bw.conv1x1BatchNorm!(k.c, k.s, k.cout, l.w, l.dy, k.x, k.mean, k.invStd, l.gamma, l.beta, relu, dx, dgamma, dbeta, p, q, dw, l.pre);
    out.dgamma.push(dgamma);
    out.dbeta.push(dbeta);
    out.dw.push(dw);
  }
  out.p = p.slice();
  out.q = q.slice();
  bw.batchNormDeferredAdd!(k.c, k.s, k.x, k.mean, p, q, dx);
  return out;
}

/** Per layer: the convolution's dx into a fresh buffer, then batch norm backward accumulating into dx. */
function unfused(bw: BackwardOps, k: Case, relu: boolean): Out {
  const dx = k.dx0.slice();
  const out: Out = { dx, dgamma: [], dbeta: [], dw: [] };
  const g = convGeometry(1, k.c, 1, k.s, k.cout, 1, 1, 0);
  for (const l of k.layers) {
    const dAct = new Float32Array(k.c * k.s);
    const dw = new Float32Array(k.cout * k.c);
    bw.conv2d(g, k.x, l.w, l.dy, dAct, dw, null, l.pre, true);
    out.dw.push(dw);
    const dgamma = new Float32Array(k.c);
    const dbeta = new Float32Array(k.c);
    bw.batchNorm(k.c, k.s, k.x, k.mean, k.invStd, l.gamma, l.beta, relu, dAct, dx, dgamma, dbeta);
    out.dgamma.push(dgamma);
    out.dbeta.push(dbeta);
  }
  return out;
}

/** Float32 rounding of sums over s terms: a tolerance relative to the largest expected magnitude. */
function near(actual: Float32Array, expected: Float32Array, label: string, rel = 3e-5): void {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  assertClose(actual, expected, label, rel * scale + 1e-7, 1e-4);
}

for (const relu of [true, false]) {
  test(`reference conv1x1BatchNorm + batchNormDeferredAdd = conv2d dx then batchNorm backward, 2 layers [24][300] cout 7 relu=${relu}`, () => {
    const k = makeCase(24, 300, 7, relu ? 1 : 2);
    const bw = referenceBackend.backward!;
    const a = fused(bw, k, relu);
    const b = unfused(bw, k, relu);
    near(a.dx, b.dx, 'dx');
    for (let i = 0; i < 2; i++) {
      near(a.dgamma[i], b.dgamma[i], `dgamma of layer ${i}`);
      near(a.dbeta[i], b.dbeta[i], `dbeta of layer ${i}`);
      near(a.dw[i], b.dw[i], `dw of layer ${i}`);
    }
  });
}

const SHAPES: [string, number, number, number][] = [
  ['DenseNet-BC bottleneck [216][8*32*32] cout 48', 216, 8 * 32 * 32, 48],
  ['ragged [61][5*13*11] cout 17', 61, 5 * 13 * 11, 17],
];
const ref = referenceBackend.backward!;
for (const [what, c, s, cout] of SHAPES) {
  for (const relu of [true, false]) {
    let expected: ReturnType<typeof fused> | null = null;
    let k: Case | null = null;
    const get = (): [Case, ReturnType<typeof fused>] => {
      if (k === null || expected === null) {
        k = makeCase(c, s, cout, c + s + (relu ? 1 : 0));
        expected = fused(ref, k, relu);
      }
      return [k, expected];
    };
    for (const isa of nb ? nb.isas : []) {
      for (const threads of [1, 2]) {
        test(`native conv1x1BatchNorm + batchNormDeferredAdd ${what} relu=${relu} on ${isa}, ${threads} thread(s)`, { skip }, () => {
          const be = nb!;
          be.setIsa(isa);
          be.setThreads(threads);
          const [kc, e] = get();
          const a = fused(be.backward!, kc, relu);
          near(a.dx, e.dx, 'dx');
          near(a.p, e.p, 'deferredP');
          near(a.q, e.q, 'deferredQ');
          for (let i = 0; i < 2; i++) {
            near(a.dgamma[i], e.dgamma[i], `dgamma of layer ${i}`);
            near(a.dbeta[i], e.dbeta[i], `dbeta of layer ${i}`);
            near(a.dw[i], e.dw[i], `dw of layer ${i}`);
          }
        });
      }
    }
  }
}

test('native conv1x1BatchNorm tests restore the default ISA and threads', { skip }, () => {
  nb!.setIsa(nb!.isas[0]);
  nb!.setThreads(2);
});
