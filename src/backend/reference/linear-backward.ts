/**
 * Linear backward, the reference (autograd of torch.nn.functional.linear, y = x · w^T + b):
 *   dx[n][i] = sum_o dy[n][o] * w[o][i],  dw[o][i] = sum_n dy[n][o] * x[n][i],  db[o] = sum_n dy[n][o].
 * All outputs overwritten; dx and db may be null (not wanted).
 */
import type { F32 } from '../backend.js';
import { expectLength } from '../validate.js';
import { checkLinearArgs } from './linear.js';

export function linearBackward(n: number, inFeatures: number, outFeatures: number, x: F32, w: F32, dy: F32,
  dx: F32 | null, dw: F32, db: F32 | null): void {
  const op = 'linear backward';
  checkLinearArgs(op, n, inFeatures, outFeatures, x, w);
  expectLength(op, 'dy', dy, { n, out: outFeatures });
  expectLength(op, 'dx', dx, { n, in: inFeatures });
  expectLength(op, 'dw', dw, { out: outFeatures, in: inFeatures });
  expectLength(op, 'db', db, { out: outFeatures });
  const I = inFeatures;
  const O = outFeatures;
  if (dx !== null) {
    for (let r = 0; r < n; r++) for (let i = 0; i < I; i++) {
      let s = 0;
      for (let o = 0; o < O; o++) s += dy[r * O + o] * w[o * I + i];
      dx[r * I + i] = s;
    }
  }
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += dy[r * O + o] * x[r * I + i];
    dw[o * I + i] = s;
  }
  if (db !== null) {
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += dy[r * O + o];
      db[o] = s;
    }
  }
}
