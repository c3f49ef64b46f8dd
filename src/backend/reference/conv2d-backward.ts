/**
 * Convolution backward, the reference (what autograd computes for torch.nn.functional.conv2d):
 *   dx[ci][n][iy][ix] += sum_{co,i,j : iy = oy*s - p + i, ix = ox*s - p + j} w[co][ci][i][j] * dy[co][n][oy][ox]
 *   dw[co][ci][i][j]   = sum_{n,oy,ox} x[ci][n][oy*s - p + i][ox*s - p + j] * dy[co][n][oy][ox]
 *   db[co]             = sum_{n,oy,ox} dy[co][n][oy][ox]
 * dx ACCUMULATES (dense-block inputs collect gradient from every later layer) unless overwriteDx; dw and db are
 * overwritten. With `pre` (backend.ts ConvPre), dw reads x' = pre(x).
 * Each element is one gathered float64 sum (dx is conv_transpose2d(dy, w) written as a gather).
 */
import type { ConvGeometry, ConvPre, F32 } from '../backend.js';
import { convDims, expectLength } from '../validate.js';
import { applyConvPre, checkConvArgs, checkConvPre } from './conv2d.js';

/** With `pre`, dw reads x' = pre(x) (the forward's transformed input); dx is the gradient w.r.t. x'. */
export function conv2dBackward(g: ConvGeometry, x0: F32, w: F32, dy: F32, dx: F32 | null, dw: F32 | null, db: F32 | null,
  pre?: ConvPre | null, overwriteDx = false): void {
  const op = 'conv2d backward';
  checkConvArgs(op, g, x0, w);
  checkConvPre(op, g, pre);
  const x = dw !== null ? applyConvPre(op, g, x0, pre) : x0; // dx and db do not read x
  const d = convDims(g);
  expectLength(op, 'dy', dy, d.y);
  expectLength(op, 'dx', dx, d.x);
  expectLength(op, 'dw', dw, d.w);
  expectLength(op, 'db', db, d.b);
  const { n, cin, h, w: wid, cout, kh, kw, stride, pad, ho, wo } = g;
  const X = (ci: number, b: number, iy: number, ix: number): number => ((ci * n + b) * h + iy) * wid + ix;
  const Y = (co: number, b: number, oy: number, ox: number): number => ((co * n + b) * ho + oy) * wo + ox;
  const W = (co: number, ci: number, i: number, j: number): number => ((co * cin + ci) * kh + i) * kw + j;

  if (dx !== null) {
    for (let ci = 0; ci < cin; ci++) for (let b = 0; b < n; b++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < wid; ix++) {
      let s = 0;
      for (let i = 0; i < kh; i++) {
        const ty = iy + pad - i; // = oy * stride for the output row that saw this input row through tap i
        if (ty < 0 || ty % stride !== 0 || ty / stride >= ho) continue;
        for (let j = 0; j < kw; j++) {
          const tx = ix + pad - j;
          if (tx < 0 || tx % stride !== 0 || tx / stride >= wo) continue;
          for (let co = 0; co < cout; co++) s += w[W(co, ci, i, j)] * dy[Y(co, b, ty / stride, tx / stride)];
        }
      }
      if (overwriteDx) dx[X(ci, b, iy, ix)] = s;
      else dx[X(ci, b, iy, ix)] += s;
    }
  }
  if (dw !== null) {
    for (let co = 0; co < cout; co++) for (let ci = 0; ci < cin; ci++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      let s = 0;
      for (let b = 0; b < n; b++) for (let oy = 0; oy < ho; oy++) {
        const iy = oy * stride - pad + i;
        if (iy < 0 || iy >= h) continue;
        for (let ox = 0; ox < wo; ox++) {
          const ix = ox * stride - pad + j;
          if (ix >= 0 && ix < wid) s += x[X(ci, b, iy, ix)] * dy[Y(co, b, oy, ox)];
        }
      }
      dw[W(co, ci, i, j)] = s;
    }
  }
  if (db !== null) {
    const plane = n * ho * wo;
    for (let co = 0; co < cout; co++) {
      let s = 0;
      for (let i = co * plane; i < (co + 1) * plane; i++) s += dy[i];
      db[co] = s;
    }
  }
}
