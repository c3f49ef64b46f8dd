/** NCHW <-> CNHW conversion at the engine's edges: element placement, round trip, and length checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnhwToNchw, nchwToCnhw, nchwToCnhwInto } from '../../src/tensor/layout.js';

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

test('nchwToCnhwInto writes what nchwToCnhw returns into a larger buffer, the rest untouched (n=1 and n=3, c=2 h=2 w=3)', () => {
  for (const n of [1, 3]) {
    const [c, h, w] = [2, 2, 3];
    const x = Float32Array.from({ length: n * c * h * w }, (_, i) => i + 1);
    const out = new Float32Array(n * c * h * w + 2).fill(-7);
    assert.equal(nchwToCnhwInto(x, n, c, h, w, out), out);
    assert.deepEqual(out.subarray(0, x.length), nchwToCnhw(x, n, c, h, w));
    assert.deepEqual([...out.subarray(x.length)], [-7, -7]);
  }
  assert.throws(() => nchwToCnhwInto(new Float32Array(12), 2, 3, 2, 1, new Float32Array(11)), /nchwToCnhwInto: out has 11 elements/);
  assert.throws(() => nchwToCnhwInto(new Float32Array(11), 2, 3, 2, 1, new Float32Array(12)), /nchwToCnhwInto: data has 11 elements/);
});
