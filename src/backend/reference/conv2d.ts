/**
 * 2-D convolution, the reference: direct loops, zero padding, stride, optional bias; groups = 1, dilation = 1.
 * Math of torch.nn.functional.conv2d (cross-correlation): y[co][n][oy][ox] = b[co] +
 *   sum_{ci,i,j} w[co][ci][i][j] * x[ci][n][oy*s - p + i][ox*s - p + j], x: [cin][n][h][w] (CNHW).
 */
import type { ConvGeometry, ConvPre, F32 } from '../backend.js';
import { checkConvGeometry, convDims, expectLength } from '../validate.js';
import { scaleShift } from './scale-shift.js';

export function checkConvArgs(op: string, g: ConvGeometry, x: F32, w: F32): void {
  checkConvGeometry(op, g);
  const d = convDims(g);
  expectLength(op, 'x', x, d.x);
  expectLength(op, 'w', w, d.w);
}

/** Checks a convolution's input transform (backend.ts ConvPre): scale and shift hold cin floats. */
export function checkConvPre(op: string, g: ConvGeometry, pre: ConvPre | null | undefined): void {
  if (!pre) return;
  expectLength(op, 'pre.scale', pre.scale, { cin: g.cin });
  expectLength(op, 'pre.shift', pre.shift, { cin: g.cin });
}

/** x' = pre(x) as a new array (the spec of ConvPre: scaleShift's output), or x itself without pre. */
export function applyConvPre(op: string, g: ConvGeometry, x: F32, pre: ConvPre | null | undefined): F32 {
  checkConvPre(op, g, pre);
  if (!pre) return x;
  const t = new Float32Array(x.length);
  scaleShift(g.cin, g.n * g.h * g.w, x, pre.scale, pre.shift, pre.relu, t);
  return t;
}

export function conv2d(g: ConvGeometry, x0: F32, w: F32, bias: F32 | null, y: F32, pre?: ConvPre | null): void {
  checkConvArgs('conv2d', g, x0, w);
  const x = applyConvPre('conv2d', g, x0, pre);
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
