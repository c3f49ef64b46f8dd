/**
 * Max pooling backward, the reference: each dy goes to the arg-max of its window (the first maximum in
 * row-major scan order, as PyTorch's CPU kernel records it); overlapping windows add. dx overwritten.
 * dy: [c][n][ho][wo] -> dx: [c][n][h][w].
 */
import type { F32, PoolGeometry } from '../backend.js';
import { expectLength, poolDims } from '../validate.js';
import { argMaxInWindow, checkPoolArgs } from './max-pool.js';

export function maxPool2dBackward(g: PoolGeometry, x: F32, dy: F32, dx: F32): void {
  const op = 'maxPool2d backward';
  checkPoolArgs(op, g, x, dy);
  expectLength(op, 'dx', dx, poolDims(g).x);
  dx.fill(0);
  for (let p = 0; p < g.c * g.n; p++) {
    for (let oy = 0; oy < g.ho; oy++) {
      for (let ox = 0; ox < g.wo; ox++) {
        dx[argMaxInWindow(g, x, p * g.h * g.w, oy, ox)] += dy[(p * g.ho + oy) * g.wo + ox];
      }
    }
  }
}
