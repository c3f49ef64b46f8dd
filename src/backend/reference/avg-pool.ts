/**
 * Average pooling over a k x k window, the reference (torch.nn.functional.avg_pool2d with its defaults
 * count_include_pad=True, ceil_mode=False): padded cells are zeros that count in the divisor, which is
 * therefore always k*k. With `pre` (a fused BN-ReLU) it pools pre(x). x: [c][n][h][w] -> y: [c][n][ho][wo].
 */
import type { ConvPre, F32, PoolGeometry } from '../backend.js';
import { applyPoolPre, checkPoolArgs } from './max-pool.js';

export function avgPool2d(g: PoolGeometry, x0: F32, y: F32, pre?: ConvPre | null): void {
  checkPoolArgs('avgPool2d', g, x0, y, pre);
  const x = applyPoolPre(g, x0, pre); // the zero padding pads pre(x)
  const { k, stride, pad, h, w, ho, wo } = g;
  for (let p = 0; p < g.c * g.n; p++) {
    const plane = p * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let s = 0;
        for (let i = 0; i < k; i++) {
          const iy = oy * stride - pad + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < k; j++) {
            const ix = ox * stride - pad + j;
            if (ix >= 0 && ix < w) s += x[plane + iy * w + ix];
          }
        }
        y[(p * ho + oy) * wo + ox] = s / (k * k);
      }
    }
  }
}
