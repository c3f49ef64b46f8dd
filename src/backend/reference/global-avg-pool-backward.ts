/**
 * Global average pooling backward, the reference: dx[c][n][i] = dy[n][c] / hw for every position i.
 * dy: [n][c] (row-major) -> dx: [c][n][hw] (CNHW), overwritten.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function globalAvgPoolBackward(c: number, n: number, hw: number, dy: F32, dx: F32): void {
  const op = 'globalAvgPool backward';
  expectDims(op, { c, n, hw });
  expectLength(op, 'dy', dy, { n, c });
  expectLength(op, 'dx', dx, { c, n, hw });
  for (let ch = 0; ch < c; ch++) {
    for (let b = 0; b < n; b++) {
      const base = (ch * n + b) * hw;
      dx.fill(dy[b * c + ch] / hw, base, base + hw);
    }
  }
}
