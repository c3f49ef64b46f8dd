/**
 * Max and average pooling on every fast backend against the reference, with and without the fused input
 * transform (backend.ts: `pre`, x' = relu?(x*scale + shift) per channel; padded cells follow the pooling's
 * rule on x': max never picks them, average counts zeros). The reference is defined as the pooling of
 * scaleShift(x). Geometries reach each path of csrc/pool.c: the stem's 3x3/2 pad 1 and pad 0 (row buffer,
 * stride-2 horizontal max), the transitions' 2x2/2 (4-wide halving, its scalar tail, odd sizes), other
 * windows through the generic horizontal loop, rows split into several buffer chunks, and a window wider
 * than the buffer (per-pixel loop). Max pooling must propagate NaN wherever it sits. Native runs every ISA
 * this CPU has on 1 and 2 threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poolGeometry, type Backend, type ConvPre, type PoolGeometry } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { availableBackends } from '../../src/backend/select.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/check.js';
import { backendConfigs } from './cases.js';
import { randArray } from './fixture.js';

const fast = (await availableBackends()).filter((b) => b.name !== 'reference');

type Op = 'maxPool2d' | 'avgPool2d';
/** [op, c, n, h, w, k, stride, pad, what] */
const CASES: [Op, number, number, number, number, number, number, number, string][] = [
  ['maxPool2d', 4, 1, 112, 112, 3, 2, 1, 'stem 3/2/1 at 112'],
  ['maxPool2d', 3, 2, 17, 23, 3, 2, 1, '3/2/1 odd sizes'],
  ['maxPool2d', 3, 3, 16, 15, 3, 2, 0, '3/2/0'],
  ['maxPool2d', 2, 2, 9, 10, 2, 2, 0, '2/2/0'],
  ['maxPool2d', 2, 1, 11, 13, 3, 1, 1, '3/1/1'],
  ['maxPool2d', 2, 2, 12, 12, 4, 3, 2, '4/3/2'],
  ['maxPool2d', 2, 1, 5, 600, 3, 2, 1, 'rows in several buffer chunks'],
  ['maxPool2d', 1, 1, 300, 301, 300, 1, 0, 'window wider than the buffer'],
  ['avgPool2d', 5, 1, 56, 56, 2, 2, 0, 'transition 2/2/0 at 56'],
  ['avgPool2d', 4, 3, 14, 14, 2, 2, 0, '2/2/0 at 14, batch 3'],
  ['avgPool2d', 3, 2, 9, 11, 2, 2, 0, '2/2/0 odd sizes'],
  ['avgPool2d', 3, 2, 13, 19, 3, 2, 1, '3/2/1 (zeros of x\' padded)'],
  ['avgPool2d', 2, 1, 11, 13, 3, 1, 1, '3/1/1'],
  ['avgPool2d', 2, 1, 5, 600, 3, 2, 1, 'rows in several buffer chunks'],
  ['avgPool2d', 1, 1, 300, 301, 300, 1, 0, 'window wider than the buffer'],
];

function makePre(rng: Rng, c: number, relu: boolean): ConvPre {
  // scales of both signs (a negative scale turns a window's max into its min) and shifts up to 1.5
  return { scale: randArray(rng, c, 1.5), shift: randArray(rng, c, 1.5), relu };
}

function run(b: Backend, op: Op, g: PoolGeometry, x: Float32Array, pre: ConvPre | null): Float32Array {
  const y = new Float32Array(g.c * g.n * g.ho * g.wo).fill(NaN);
  b[op](g, x, y, pre);
  return y;
}

/** Same NaN positions, and close elsewhere (float sums of up to 90000 cells vs the reference's doubles). */
function assertSame(mine: Float32Array, want: Float32Array, label: string): void {
  for (let i = 0; i < want.length; i++) {
    assert.equal(Number.isNaN(mine[i]), Number.isNaN(want[i]), `${label}: element ${i} is ${mine[i]}, expected ${want[i]}`);
  }
  const keep = (a: Float32Array): Float32Array => a.map((v, i) => (Number.isNaN(want[i]) ? 0 : v));
  assertClose(keep(mine), keep(want), label, 1e-5, 1e-5);
}

function checkAll(be: Backend, label: string): void {
  for (const [op, c, n, h, w, k, stride, pad, what] of CASES) {
    const g = poolGeometry(c, n, h, w, k, stride, pad);
    const rng = new Rng(c * 131 + h * 7 + w + k);
    const x = randArray(rng, c * n * h * w, 2);
    for (const pre of [null, makePre(rng, c, true), makePre(rng, c, false)]) {
      const l = `${label} ${op} ${what} [c=${c},n=${n},h=${h},w=${w}] ${pre ? `pre relu=${pre.relu}` : 'no pre'}`;
      assertSame(run(be, op, g, x, pre), run(ref, op, g, x, pre), l);
    }
    if (op === 'maxPool2d') {
      // NaN at the first, last and scattered cells (vector body, scalar tails, borders) must reach the output
      const xn = x.slice();
      for (let i = 0; i < xn.length; i += 97) xn[i] = NaN;
      xn[xn.length - 1] = NaN;
      const want = run(ref, op, g, xn, null);
      assert.ok(want.some(Number.isNaN));
      assertSame(run(be, op, g, xn, null), want, `${label} ${op} ${what} NaN`);
      // with a ReLU transform NaN becomes 0 (as scaleShift), without one it still propagates
      for (const pre of [makePre(rng, c, true), makePre(rng, c, false)]) {
        assertSame(run(be, op, g, xn, pre), run(ref, op, g, xn, pre), `${label} ${op} ${what} NaN pre relu=${pre.relu}`);
      }
    }
  }
}

test('reference pooling with pre = pooling of scaleShift(x); padding follows the pooling on x\'', () => {
  const rng = new Rng(3);
  for (const op of ['maxPool2d', 'avgPool2d'] as const) {
    const g = poolGeometry(3, 2, 7, 7, 3, 2, 1);
    const x = randArray(rng, 3 * 2 * 49);
    const pre = { scale: new Float32Array([1, -2, 0.5]), shift: new Float32Array([-5, 1, 2]), relu: false };
    const xt = new Float32Array(x.length);
    ref.scaleShift(3, 2 * 49, x, pre.scale, pre.shift, false, xt);
    assert.deepEqual(run(ref, op, g, x, pre), run(ref, op, g, xt, null));
    assert.throws(() => run(ref, op, g, x, { ...pre, shift: new Float32Array(2) }), new RegExp(`${op}: pre.shift has 2 elements`));
  }
  // channel 0's x' is all -5 + x < 0: max pooling never returns a padded 0, average pooling adds zeros
  const g = poolGeometry(1, 1, 2, 2, 3, 1, 1);
  const pre = { scale: new Float32Array([1]), shift: new Float32Array([-5]), relu: false };
  const x = new Float32Array([0, 0, 0, 0]);
  assert.deepEqual(Array.from(run(ref, 'maxPool2d', g, x, pre)), [-5, -5, -5, -5]);
  assert.deepEqual(Array.from(run(ref, 'avgPool2d', g, x, pre)), [-20 / 9, -20 / 9, -20 / 9, -20 / 9].map(Math.fround));
});

test(`pooling with pre on ${fast.map((b) => b.name).join(', ') || 'no fast backend'}`, () => {});

for (const be of fast) {
  for (const cfg of backendConfigs(be)) {
    const label = `${be.name}${cfg.label ? ` ${cfg.label}` : ''}`;
    test(`${label} max and average pooling, with and without pre, vs the reference`, () => cfg.use(() => checkAll(be, label)));
  }
  test(`${be.name} pooling pre with wrong lengths throws the reference's message`, () => {
    const g = poolGeometry(4, 1, 6, 6, 2, 2, 0);
    const z = (n: number): Float32Array => new Float32Array(n);
    assert.throws(() => be.avgPool2d(g, z(144), z(36), { scale: z(3), shift: z(4), relu: true }), /avgPool2d: pre.scale has 3 elements/);
    assert.throws(() => be.maxPool2d(g, z(144), z(36), { scale: z(4), shift: z(5), relu: true }), /maxPool2d: pre.shift has 5 elements/);
  });
}
