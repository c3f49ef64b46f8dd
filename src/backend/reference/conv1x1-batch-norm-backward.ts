/**
 * A 1x1 convolution's input gradient fused with the training batch norm (+ReLU) backward in front of it, and the
 * deferred per-channel terms (backend.ts conv1x1BatchNorm, batchNormDeferredAdd): the reference. Same math as
 * conv2d backward (dx of a 1x1 stride-1 conv: g = w^T . dy) followed by batch-norm-backward.ts with g as its dy,
 *   dz = relu ? g * [gamma*xhat + beta > 0] : g,  dbeta = sum dz,  dgamma = sum dz*xhat,
 *   dx += k * (s*dz - dbeta - xhat*dgamma),  k = gamma*invStd/s,
 * split as dx += gamma*invStd*dz now and dx += P + Q*(x - mean) later, with P += -k*dbeta, Q += -k*dgamma*invStd
 * (xhat = (x - mean)*invStd). Layers that share a channel's mean sum their P and Q, so the later part runs once.
 * With dw, the convolution's weight gradient too (x' = pre(x), rounded as scale-shift.ts stores it). Not a fast path:
 * float64 loops, one row of g at a time.
 */
import type { ConvPre, F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function conv1x1BatchNormBackward(
  c: number, s: number, cout: number, w: F32, dy: F32, x: F32, mean: F32, invStd: F32, gamma: F32, beta: F32,
  relu: boolean, dx: F32, dgamma: F32, dbeta: F32, deferredP: F32, deferredQ: F32, dw: F32 | null = null,
  pre: ConvPre | null = null,
): void {
  const op = 'conv1x1BatchNorm backward';
  expectDims(op, { c, s, cout });
  expectLength(op, 'w', w, { cout, c });
  expectLength(op, 'dy', dy, { cout, s });
  for (const [name, arr] of [['x', x], ['dx', dx]] as const) expectLength(op, name, arr, { c, s });
  const vecs = [['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta], ['dgamma', dgamma], ['dbeta', dbeta],
    ['deferredP', deferredP], ['deferredQ', deferredQ]] as const;
  for (const [name, arr] of vecs) expectLength(op, name, arr, { c });
  expectLength(op, 'dw', dw, { cout, c });
  if (pre) for (const [name, arr] of [['pre.scale', pre.scale], ['pre.shift', pre.shift]] as const) expectLength(op, name, arr, { c });
  const g = new Float64Array(s); // one row of w^T . dy
  for (let ch = 0; ch < c; ch++) {
    g.fill(0);
    for (let co = 0; co < cout; co++) {
      const wv = w[co * c + ch];
      const row = co * s;
      for (let i = 0; i < s; i++) g[i] += wv * dy[row + i];
    }
    const base = ch * s;
    const mu = mean[ch];
    const is = invStd[ch];
    const ca = gamma[ch] * is;
    let sumDz = 0;
    let sumDzXhat = 0;
    for (let i = 0; i < s; i++) {
      const xhat = (x[base + i] - mu) * is;
      const dz = relu && !(gamma[ch] * xhat + beta[ch] > 0) ? 0 : Math.fround(g[i]);
      sumDz += dz;
      sumDzXhat += dz * xhat;
      dx[base + i] += ca * dz;
    }
    dbeta[ch] = sumDz;
    dgamma[ch] = sumDzXhat;
    const k = ca / s;
    deferredP[ch] += -k * sumDz;
    deferredQ[ch] += -k * sumDzXhat * is;
    if (dw === null) continue;
    for (let co = 0; co < cout; co++) { // dw[co][ch] = sum_i dy[co][i] * x'[ch][i] (conv2d-backward.ts for 1x1)
      let t = 0;
      for (let i = 0; i < s; i++) {
        let v = x[base + i];
        if (pre) v = Math.fround(v * pre.scale[ch] + pre.shift[ch]); // as scale-shift.ts stores it
        if (pre?.relu && !(v > 0)) v = 0;
        t += dy[co * s + i] * v;
      }
      dw[co * c + ch] = t;
    }
  }
}

export function batchNormDeferredAdd(c: number, s: number, x: F32, mean: F32, p: F32, q: F32, dx: F32): void {
  const op = 'batchNorm deferred add';
  expectDims(op, { c, s });
  for (const [name, arr] of [['x', x], ['dx', dx]] as const) expectLength(op, name, arr, { c, s });
  for (const [name, arr] of [['mean', mean], ['p', p], ['q', q]] as const) expectLength(op, name, arr, { c });
  for (let ch = 0; ch < c; ch++) {
    const base = ch * s;
    for (let i = 0; i < s; i++) dx[base + i] += p[ch] + q[ch] * (x[base + i] - mean[ch]);
  }
}
