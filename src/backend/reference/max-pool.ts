/**
 * Max pooling over a k x k window, the reference (torch.nn.functional.max_pool2d, dilation 1, ceil_mode False).
 * Padding never wins: padded cells count as -inf, so each output is the max of the real cells in its window.
 * With `pre` (a fused BN-ReLU) it pools pre(x) instead. x: [c][n][h][w] -> y: [c][n][ho][wo].
 */
import type { ConvPre, F32, PoolGeometry } from '../backend.js';
import { checkPoolGeometry, expectLength, poolDims } from '../validate.js';
import { scaleShift } from './scale-shift.js';

export function checkPoolArgs(op: string, g: PoolGeometry, x: F32 | null, y: F32 | null, pre?: ConvPre | null): void {
  checkPoolGeometry(op, g);
  const d = poolDims(g);
  expectLength(op, 'x', x, d.x);
  expectLength(op, 'y', y, d.y);
  if (pre) {
    expectLength(op, 'pre.scale', pre.scale, { c: g.c });
    expectLength(op, 'pre.shift', pre.shift, { c: g.c });
  }
}

/**
 * x' = pre(x) as a new array (scaleShift's output: the pooling's input transform, backend.ts), or x itself
 * without pre. Padding is the pooling's business: it pads x', never x.
 */
export function applyPoolPre(g: PoolGeometry, x: F32, pre: ConvPre | null | undefined): F32 {
  if (!pre) return x;
  const t = new Float32Array(x.length);
  scaleShift(g.c, g.n * g.h * g.w, x, pre.scale, pre.shift, pre.relu, t);
  return t;
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

export function maxPool2d(g: PoolGeometry, x0: F32, y: F32, pre?: ConvPre | null): void {
  checkPoolArgs('maxPool2d', g, x0, y, pre);
  const x = applyPoolPre(g, x0, pre);
  for (let p = 0; p < g.c * g.n; p++) {
    for (let oy = 0; oy < g.ho; oy++) {
      for (let ox = 0; ox < g.wo; ox++) {
        y[(p * g.ho + oy) * g.wo + ox] = x[argMaxInWindow(g, x, p * g.h * g.w, oy, ox)];
      }
    }
  }
}
