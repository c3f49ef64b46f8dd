/**
 * 2-D convolution, the reference: direct loops, zero padding, stride, optional bias; groups = 1, dilation = 1.
 * Math of torch.nn.functional.conv2d (cross-correlation): y[co][n][oy][ox] = b[co] +
 *   sum_{ci,i,j} w[co][ci][i][j] * x[ci][n][oy*s - p + i][ox*s - p + j], x: [cin][n][h][w] (CNHW).
 */
import type { ConvGeometry, F32 } from '../backend.js';
import { checkConvGeometry, convDims, expectLength } from '../validate.js';

export function checkConvArgs(op: string, g: ConvGeometry, x: F32, w: F32): void {
  checkConvGeometry(op, g);
  const d = convDims(g);
  expectLength(op, 'x', x, d.x);
  expectLength(op, 'w', w, d.w);
}

export function conv2d(g: ConvGeometry, x: F32, w: F32, bias: F32 | null, y: F32): void {
  checkConvArgs('conv2d', g, x, w);
  const d = convDims(g);
  expectLength('conv2d', 'bias', bias, d.b);
  expectLength('conv2d', 'y', y, d.y);
  const { n, cin, h, w: wid, cout, kh, kw, stride, pad, ho, wo } = g;
  for (let co = 0; co < cout; co++) {
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          let s = bias === null ? 0 : bias[co];
          for (let ci = 0; ci < cin; ci++) {
            for (let i = 0; i < kh; i++) {
              const iy = oy * stride - pad + i;
              if (iy < 0 || iy >= h) continue; // zero padding
              for (let j = 0; j < kw; j++) {
                const ix = ox * stride - pad + j;
                if (ix < 0 || ix >= wid) continue;
                s += w[((co * cin + ci) * kh + i) * kw + j] * x[((ci * n + b) * h + iy) * wid + ix];
              }
            }
          }
          y[((co * n + b) * ho + oy) * wo + ox] = s;
        }
      }
    }
  }
}
