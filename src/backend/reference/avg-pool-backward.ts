/**
 * Average pooling backward, the reference (count_include_pad=True): each dy spreads dy / (k*k) over the
 * real cells of its window; padded cells take their share into nothing. dx overwritten, as a float64 gather.
 * dy: [c][n][ho][wo] -> dx: [c][n][h][w].
 */
import type { F32, PoolGeometry } from '../backend.js';
import { expectLength, poolDims } from '../validate.js';
import { checkPoolArgs } from './max-pool.js';

export function avgPool2dBackward(g: PoolGeometry, dy: F32, dx: F32): void {
  const op = 'avgPool2d backward';
  checkPoolArgs(op, g, null, dy);
  expectLength(op, 'dx', dx, poolDims(g).x);
  const { k, stride, pad, h, w, ho, wo } = g;
  for (let p = 0; p < g.c * g.n; p++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < w; ix++) {
        let s = 0;
        // output rows whose window [oy*stride - pad, oy*stride - pad + k) contains iy
        for (let oy = 0; oy < ho; oy++) {
          const y0 = oy * stride - pad;
          if (iy < y0 || iy >= y0 + k) continue;
          for (let ox = 0; ox < wo; ox++) {
            const x0 = ox * stride - pad;
            if (ix >= x0 && ix < x0 + k) s += dy[(p * ho + oy) * wo + ox];
          }
        }
        dx[(p * h + iy) * w + ix] = s / (k * k);
      }
    }
  }
}
