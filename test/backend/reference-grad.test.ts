/**
 * Finite-difference checks of every backward op of the reference backend: the gradient each op returns must
 * predict how the forward ops' loss L = sum(r * y) (r fixed random, summed in float64) changes under a small
 * random perturbation of each input. The predicted change uses the perturbation actually stored in float32
 * (x+ - x-), so rounding of the inputs does not count as error; what remains is float32 rounding of the
 * outputs (~1e-7 relative) over a step of 1e-3, hence rel 1e-2 is honest and still catches any wrong term.
 * PyTorch's gradients for the same ops are checked in ops-backward.test.ts, on every backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, poolGeometry } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randArray } from './fixture.js';

const bw = ref.backward;
assert.ok(bw);

/** sum r[i] * y[i] in float64 */
const dot = (r: ArrayLike<number>, y: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += r[i] * y[i];
  return s;
};

/** Checks grad against central differences of loss() along 3 random directions, perturbing x in place. */
function fd(label: string, x: Float32Array, grad: ArrayLike<number>, loss: () => number, seed: number, eps = 1e-3): void {
  const rng = new Rng(seed);
  const x0 = x.slice();
  for (let t = 0; t < 3; t++) {
    const v = Float32Array.from(x0, () => (rng.uniform() < 0.5 ? -1 : 1));
    x.set(x0.map((xi, i) => xi + eps * v[i]));
    const xp = x.slice();
    const lp = loss();
    x.set(x0.map((xi, i) => xi - eps * v[i]));
    const lm = loss();
    const predicted = dot(grad, xp.map((p, i) => p - x[i]));
    x.set(x0);
    const observed = lp - lm;
    const err = Math.abs(observed - predicted);
    assert.ok(err <= 1e-2 * Math.abs(predicted) + 1e-6 * (1 + Math.abs(lp)),
      `${label}: directional derivative ${observed} by finite differences, ${predicted} from the gradient (|diff| ${err.toExponential(2)})`);
  }
}

/** A random permutation of 0.01 * [0, size): values that differ by far more than the step. */
function distinct(rng: Rng, size: number): Float32Array {
  const out = Float32Array.from({ length: size }, (_, i) => 0.01 * i - 0.005 * size);
  for (let i = size - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

for (const [n, cin, h, w, cout, k, s, p] of [[2, 3, 5, 5, 4, 3, 1, 1], [1, 2, 7, 7, 3, 3, 2, 1], [2, 4, 4, 4, 3, 1, 1, 0], [1, 3, 9, 9, 2, 7, 2, 3]]) {
  test(`conv2d backward x=[${n},${cin},${h},${w}] w=[${cout},${cin},${k},${k}] stride=${s} pad=${p} by finite differences`, () => {
    const g = convGeometry(n, cin, h, w, cout, k, s, p);
    const rng = new Rng(cin * 100 + k);
    const x = randArray(rng, cin * n * h * w);
    const wt = randArray(rng, cout * cin * k * k);
    const b = randArray(rng, cout);
    const r = randArray(rng, cout * n * g.ho * g.wo);
    const y = new Float32Array(r.length);
    const loss = (): number => (ref.conv2d(g, x, wt, b, y), dot(r, y));
    const dx = new Float32Array(x.length);
    const dw = new Float32Array(wt.length);
    const db = new Float32Array(cout);
    bw.conv2d(g, x, wt, r, dx, dw, db);
    fd('dx', x, dx, loss, 1);
    fd('dw', wt, dw, loss, 2);
    fd('db', b, db, loss, 3);
  });
}

for (const [c, s, relu] of [[3, 2 * 16, true], [4, 3 * 9, false], [2, 50, true]] as const) {
  test(`batchNorm backward (training statistics) c=${c} s=${s} relu=${relu} by finite differences`, () => {
    const rng = new Rng(c * s);
    const x = randArray(rng, c * s, 2).map((v) => v + 0.5);
    const gamma = randArray(rng, c).map((v) => v + 1.5);
    const beta = randArray(rng, c, 0.5);
    const r = randArray(rng, c * s);
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    const y = new Float32Array(c * s);
    const invStd = (): Float32Array => variance.map((v) => 1 / Math.sqrt(v + 1e-5));
    const loss = (): number => {
      ref.channelStats(c, s, x, mean, variance);
      const scale = invStd().map((is, i) => gamma[i] * is);
      ref.scaleShift(c, s, x, scale, mean.map((m, i) => beta[i] - m * scale[i]), relu, y);
      return dot(r, y);
    };
    loss();
    const dx = new Float32Array(c * s);
    const dgamma = new Float32Array(c);
    const dbeta = new Float32Array(c);
    bw.batchNorm(c, s, x, mean.slice(), invStd(), gamma, beta, relu, r, dx, dgamma, dbeta);
    fd('dx', x, dx, loss, 4);
    fd('dgamma', gamma, dgamma, loss, 5);
    fd('dbeta', beta, dbeta, loss, 6);
  });
}

test('relu backward size=200 by finite differences', () => {
  const rng = new Rng(9);
  const x = randArray(rng, 200).map((v) => v + (v < 0 ? -0.01 : 0.01)); // no input within a step of the kink
  const r = randArray(rng, 200);
  const y = new Float32Array(200);
  const loss = (): number => (ref.relu(200, x, y), dot(r, y));
  loss();
  const dx = new Float32Array(200);
  bw.relu(200, y, r, dx);
  fd('dx', x, dx, loss, 7);
});

for (const op of ['maxPool2d', 'avgPool2d'] as const) {
  for (const [c, n, h, w, k, s, p] of [[2, 2, 9, 9, 3, 2, 1], [3, 1, 8, 8, 2, 2, 0], [2, 3, 7, 7, 3, 1, 1]]) {
    test(`${op} backward x=[${n},${c},${h},${w}] k=${k} stride=${s} pad=${p} by finite differences`, () => {
      const g = poolGeometry(c, n, h, w, k, s, p);
      const rng = new Rng(h * k + s);
      const x = distinct(rng, c * n * h * w); // no near-ties: the arg-max must not move within a step
      const r = randArray(rng, c * n * g.ho * g.wo);
      const y = new Float32Array(r.length);
      const loss = (): number => (ref[op](g, x, y), dot(r, y));
      const dx = new Float32Array(x.length);
      if (op === 'maxPool2d') bw.maxPool2d(g, x, r, dx);
      else bw.avgPool2d(g, r, dx);
      fd('dx', x, dx, loss, 8);
    });
  }
}

test('globalAvgPool backward c=5 n=3 hw=49 by finite differences', () => {
  const rng = new Rng(10);
  const x = randArray(rng, 5 * 3 * 49);
  const r = randArray(rng, 15);
  const y = new Float32Array(15);
  const dx = new Float32Array(x.length);
  bw.globalAvgPool(5, 3, 49, r, dx);
  fd('dx', x, dx, () => (ref.globalAvgPool(5, 3, 49, x, y), dot(r, y)), 11);
});

test('linear backward x=[3,17] w=[6,17] by finite differences', () => {
  const rng = new Rng(12);
  const [x, w, b, r] = [randArray(rng, 51), randArray(rng, 102), randArray(rng, 6), randArray(rng, 18)];
  const y = new Float32Array(18);
  const loss = (): number => (ref.linear(3, 17, 6, x, w, b, y), dot(r, y));
  const [dx, dw, db] = [new Float32Array(51), new Float32Array(102), new Float32Array(6)];
  bw.linear(3, 17, 6, x, w, r, dx, dw, db);
  fd('dx', x, dx, loss, 13);
  fd('dw', w, dw, loss, 14);
  fd('db', b, db, loss, 15);
});

test('softmaxCrossEntropy n=4 k=7 by finite differences', () => {
  const logits = randArray(new Rng(16), 28, 3);
  const labels = Int32Array.of(0, 6, 3, 3);
  const dlogits = new Float32Array(28);
  const scratch = new Float32Array(28);
  bw.softmaxCrossEntropy(4, 7, logits, labels, dlogits);
  fd('dlogits', logits, dlogits, () => bw.softmaxCrossEntropy(4, 7, logits, labels, scratch), 17);
});
