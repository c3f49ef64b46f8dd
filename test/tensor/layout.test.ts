/** NCHW <-> CNHW conversion at the engine's edges: element placement, round trip, and length checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnhwToNchw, nchwToCnhw } from '../../src/tensor/layout.js';

test('nchwToCnhw places x[n][c][h][w] at [c][n][h][w], and cnhwToNchw undoes it (n=2 c=3 h=2 w=1)', () => {
  const [n, c, h, w] = [2, 3, 2, 1];
  const x = Float32Array.from({ length: n * c * h * w }, (_, i) => i);
  const y = nchwToCnhw(x, n, c, h, w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) {
    assert.equal(y[(ch * n + b) * h * w + i], x[(b * c + ch) * h * w + i]);
  }
  assert.deepEqual(cnhwToNchw(y, n, c, h, w), x);
  assert.notEqual(y, x);
});

test('layout conversions reject a length that does not fit the shape', () => {
  assert.throws(() => nchwToCnhw(new Float32Array(11), 2, 3, 2, 1), /nchwToCnhw: data has 11 elements/);
  assert.throws(() => cnhwToNchw(new Float32Array(13), 2, 3, 2, 1), /cnhwToNchw: data has 13 elements/);
});
