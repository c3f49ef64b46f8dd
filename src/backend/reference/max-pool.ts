/**
 * Max pooling over a k x k window, the reference (torch.nn.functional.max_pool2d, dilation 1, ceil_mode False).
 * Padding never wins: padded cells count as -inf, so each output is the max of the real cells in its window.
 * x: [c][n][h][w] -> y: [c][n][ho][wo].
 */
import type { F32, PoolGeometry } from '../backend.js';
import { checkPoolGeometry, expectLength, poolDims } from '../validate.js';

export function checkPoolArgs(op: string, g: PoolGeometry, x: F32 | null, y: F32 | null): void {
  checkPoolGeometry(op, g);
  const d = poolDims(g);
  expectLength(op, 'x', x, d.x);
  expectLength(op, 'y', y, d.y);
}

/**
 * Flat index into the plane's x of the first maximum of window (oy, ox) in row-major scan order
 * (PyTorch's CPU kernel keeps the first maximum). `plane` is the offset of x[ch][b].
 */
export function argMaxInWindow(g: PoolGeometry, x: F32, plane: number, oy: number, ox: number): number {
  let best = -Infinity;
  let at = -1;
  for (let i = 0; i < g.k; i++) {
    const iy = oy * g.stride - g.pad + i;
    if (iy < 0 || iy >= g.h) continue;
    for (let j = 0; j < g.k; j++) {
      const ix = ox * g.stride - g.pad + j;
      if (ix < 0 || ix >= g.w) continue;
      const idx = plane + iy * g.w + ix;
      if (at < 0 || x[idx] > best || Number.isNaN(x[idx])) {
        best = x[idx];
        at = idx;
        if (Number.isNaN(best)) return at; // NaN propagates, as in torch
      }
    }
  }
  return at;
}

export function maxPool2d(g: PoolGeometry, x: F32, y: F32): void {
  checkPoolArgs('maxPool2d', g, x, y);
  for (let p = 0; p < g.c * g.n; p++) {
    for (let oy = 0; oy < g.ho; oy++) {
      for (let ox = 0; ox < g.wo; ox++) {
        y[(p * g.ho + oy) * g.wo + ox] = x[argMaxInWindow(g, x, p * g.h * g.w, oy, ox)];
      }
    }
  }
}
