/**
 * Every backend rejects arrays whose length does not fit the geometry, with an Error naming the op (and, for
 * the reference, the argument and the shape), before any kernel runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, poolGeometry, type Backend } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';

const backends = await availableBackends();
const z = (n: number): Float32Array => new Float32Array(n);
const g = convGeometry(2, 3, 5, 5, 4, 3, 1, 1); // x [3][2][5][5] = 150, w [4][3][3][3] = 108, y [4][2][5][5] = 200
const pg = poolGeometry(3, 2, 5, 5, 3, 2, 1); // x 150, y [3][2][3][3] = 54

/** [op named in the message, call with one bad argument] */
const BAD: readonly [string, string, (b: Backend) => unknown][] = [
  ['gemm', 'a short', (b) => b.gemm(false, false, 4, 5, 6, z(23), z(30), 0, z(20))],
  ['gemm', 'transposed b wrong', (b) => b.gemm(false, true, 4, 5, 6, z(24), z(31), 0, z(20))],
  ['gemm', 'c long', (b) => b.gemm(true, false, 4, 5, 6, z(24), z(30), 1, z(21))],
  ['conv2d', 'x short', (b) => b.conv2d(g, z(100), z(108), null, z(200))],
  ['conv2d', 'bias wrong', (b) => b.conv2d(g, z(150), z(108), z(3), z(200))],
  ['conv2d', 'y short', (b) => b.conv2d(g, z(150), z(108), null, z(199))],
  ['conv2d', 'inconsistent ho', (b) => b.conv2d({ ...g, ho: 4 }, z(150), z(108), null, z(160))],
  ['scaleShift', 'scale short', (b) => b.scaleShift(3, 10, z(30), z(2), z(3), true, z(30))],
  ['channelStats', 'x short', (b) => b.channelStats(3, 10, z(29), z(3), z(3))],
  ['relu', 'y short', (b) => b.relu(10, z(10), z(9))],
  ['maxPool2d', 'x short', (b) => b.maxPool2d(pg, z(149), z(54))],
  ['avgPool2d', 'y short', (b) => b.avgPool2d(pg, z(150), z(53))],
  ['globalAvgPool', 'y wrong', (b) => b.globalAvgPool(3, 2, 25, z(150), z(5))],
  ['linear', 'w wrong', (b) => b.linear(2, 5, 3, z(10), z(14), null, z(6))],
  ['softmax', 'y short', (b) => b.softmax(2, 5, z(10), z(9))],
  ['dropout', 'keep short', (b) => b.dropout(10, z(10), new Uint8Array(9), 0.5, z(10))],
];

const BAD_BACKWARD: readonly [string, string, (b: NonNullable<Backend['backward']>) => unknown][] = [
  ['conv2d', 'dy short', (b) => b.conv2d(g, z(150), z(108), z(199), z(150), null, null)],
  ['conv2d', 'dw short', (b) => b.conv2d(g, z(150), z(108), z(200), null, z(107), null)],
  ['batchNorm', 'dgamma short', (b) => b.batchNorm(3, 10, z(30), z(3), z(3), z(3), z(3), true, z(30), z(30), z(2), z(3))],
  ['relu', 'dx short', (b) => b.relu(10, z(10), z(10), z(9))],
  ['maxPool2d', 'dx short', (b) => b.maxPool2d(pg, z(150), z(54), z(149))],
  ['avgPool2d', 'dy short', (b) => b.avgPool2d(pg, z(53), z(150))],
  ['globalAvgPool', 'dx short', (b) => b.globalAvgPool(3, 2, 25, z(6), z(149))],
  ['linear', 'dw wrong', (b) => b.linear(2, 5, 3, z(10), z(15), z(6), null, z(16), null)],
  ['softmaxCrossEntropy', 'labels short', (b) => b.softmaxCrossEntropy(2, 5, z(10), new Int32Array(1), z(10))],
  ['softmaxCrossEntropy', 'label out of range', (b) => b.softmaxCrossEntropy(2, 5, z(10), Int32Array.of(0, 5), z(10))],
];

for (const be of backends) {
  for (const [op, what, call] of BAD) {
    test(`${be.name} ${op} rejects ${what}`, () => {
      assert.throws(() => call(be), (e: unknown) => e instanceof Error && e.message.includes(op));
    });
  }
  const bw = be.backward;
  for (const [op, what, call] of BAD_BACKWARD) {
    test(`${be.name} backward ${op} rejects ${what}`, { skip: bw ? false : 'no backward ops' }, () => {
      if (bw) assert.throws(() => call(bw), (e: unknown) => e instanceof Error && e.message.includes(op));
    });
  }
}

test('reference error messages name the op, the argument and the geometry', () => {
  const ref = backends.find((b) => b.name === 'reference');
  assert.ok(ref);
  assert.throws(() => ref.conv2d(g, z(100), z(108), null, z(200)),
    { message: 'conv2d: x has 100 elements but geometry [cin=3,n=2,h=5,w=5] needs 150' });
  assert.throws(() => ref.gemm(true, false, 4, 5, 6, z(24), z(30), 0, z(21)),
    { message: 'gemm: c has 21 elements but geometry [m=4,n=5] needs 20' });
});
