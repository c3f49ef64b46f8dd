/**
 * Backward ops of fast backends against the reference on seeded random inputs over DenseNet's geometries.
 * Accumulated outputs (conv2d and batchNorm dx) start from the same random values on both sides; overwritten
 * outputs start as NaN, so a kernel that reads them instead of writing fails.
 */
import { test } from 'node:test';
import { convGeometry, poolGeometry, type Backend, type BackwardOps } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/check.js';
import { AVGPOOL_CASES, CONV_CASES, convLabel, MAXPOOL_CASES, poolLabel, same } from './cases.js';
import { randArray } from './fixture.js';

const fast = (await availableBackends()).filter((b) => b.name !== 'reference' && b.backward);
const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);

test(`backward ops compared with the reference: ${fast.map((b) => b.name).join(', ') || 'none loaded here'}`, () => {});

for (const be of fast) {
  const name = be.name;
  const bwOf = (b: Backend): BackwardOps => {
    if (!b.backward) throw new Error(`${b.name} has no backward ops`);
    return b.backward;
  };
  for (const c of CONV_CASES) {
    test(`${name} conv2d backward ${convLabel(c)}`, () => {
      const g = convGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
      const rng = new Rng(c.reduce((s, v) => s * 17 + v, 3));
      const x = randArray(rng, g.cin * g.n * g.h * g.w);
      const w = randArray(rng, g.cout * g.cin * g.kh * g.kw, Math.sqrt(3 / (g.cin * g.kh * g.kw)));
      const dy = randArray(rng, g.cout * g.n * g.ho * g.wo);
      same(be, [randArray(rng, x.length), nan(w.length), nan(g.cout)],
        (b, [dx, dw, db]) => bwOf(b).conv2d(g, x, w, dy, dx, dw, db), name, 1e-4, 1e-4);
      same(be, [randArray(rng, x.length)], (b, [dx]) => bwOf(b).conv2d(g, x, w, dy, dx, null, null), `${name} dx only`);
    });
  }
  for (const [c, s, relu] of [[13, 3 * 81, true], [64, 2 * 256, false], [7, 1 * 49, true]] as const) {
    test(`${name} batchNorm backward c=${c} s=${s} relu=${relu}`, () => {
      const rng = new Rng(c * 7 + s);
      const x = randArray(rng, c * s, 2);
      const mean = new Float32Array(c);
      const variance = new Float32Array(c);
      be.channelStats(c, s, x, mean, variance);
      const invStd = variance.map((v) => 1 / Math.sqrt(v + 1e-5));
      const [gamma, beta, dy] = [randArray(rng, c), randArray(rng, c), randArray(rng, c * s)];
      same(be, [randArray(rng, c * s), nan(c), nan(c)],
        (b, [dx, dg, dbt]) => bwOf(b).batchNorm(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dg, dbt), name);
      // overwriteDx: dx starts as NaN, so a kernel that still reads it fails
      same(be, [nan(c * s), nan(c), nan(c)],
        (b, [dx, dg, dbt]) => bwOf(b).batchNorm(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dg, dbt, true), `${name} overwrite`);
    });
  }
  for (const [op, cases] of [['maxPool2d', MAXPOOL_CASES], ['avgPool2d', AVGPOOL_CASES]] as const) {
    for (const c of cases) {
      test(`${name} ${op} backward ${poolLabel(c)}`, () => {
        const g = poolGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        const rng = new Rng(c[2] * 3 + c[0]);
        const x = randArray(rng, g.c * g.n * g.h * g.w);
        const dy = randArray(rng, g.c * g.n * g.ho * g.wo);
        same(be, [nan(x.length)], (b, [dx]) => (op === 'maxPool2d' ? bwOf(b).maxPool2d(g, x, dy, dx) : bwOf(b).avgPool2d(g, dy, dx)),
          name, 1e-6, 1e-6);
      });
    }
  }
  test(`${name} relu, globalAvgPool, linear and softmaxCrossEntropy backward`, () => {
    const rng = new Rng(21);
    const y = randArray(rng, 999).map((v) => Math.max(v, 0));
    same(be, [randArray(rng, 999)], (b, [dy]) => bwOf(b).relu(999, y, dy, dy), 'relu', 0, 0);
    same(be, [nan(35 * 3 * 49)], (b, [dx]) => bwOf(b).globalAvgPool(35, 3, 49, randArray(new Rng(1), 105), dx), 'globalAvgPool', 1e-7, 1e-6);
    const [x, w, dy] = [randArray(rng, 3 * 342), randArray(rng, 10 * 342, 0.1), randArray(rng, 30)];
    same(be, [nan(3 * 342), nan(10 * 342), nan(10)], (b, [dx, dw, db]) => bwOf(b).linear(3, 342, 10, x, w, dy, dx, dw, db), 'linear');
    const logits = randArray(rng, 5 * 1000, 5);
    const labels = Int32Array.of(0, 999, 17, 17, 500);
    const losses: number[] = []; // [this backend's, the reference's]
    same(be, [nan(5000)], (b, [d]) => losses.push(bwOf(b).softmaxCrossEntropy(5, 1000, logits, labels, d)), 'dlogits', 1e-8, 1e-5);
    assertClose([losses[0]], [losses[1]], 'loss', 1e-6, 1e-6);
  });
}

test('reference batchNorm backward: overwriteDx gives the accumulation into zeros, whatever dx held', async () => {
  const ref = (await availableBackends()).find((b) => b.name === 'reference')!.backward!;
  const [c, s] = [5, 36];
  const rng = new Rng(11);
  const x = randArray(rng, c * s, 2);
  const mean = new Float32Array(c).fill(0.1);
  const invStd = new Float32Array(c).fill(0.7);
  const [gamma, beta, dy] = [randArray(rng, c), randArray(rng, c), randArray(rng, c * s)];
  const acc = new Float32Array(c * s);
  const over = nan(c * s);
  ref.batchNorm(c, s, x, mean, invStd, gamma, beta, true, dy, acc, new Float32Array(c), new Float32Array(c));
  ref.batchNorm(c, s, x, mean, invStd, gamma, beta, true, dy, over, new Float32Array(c), new Float32Array(c), true);
  assertClose(over, acc, 'overwrite vs accumulate into zeros', 0, 0);
});
