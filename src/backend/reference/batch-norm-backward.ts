/**
 * Training batch norm (+ optional ReLU) backward, the reference. Forward (torch.nn.BatchNorm2d, training):
 *   xhat = (x - mean) * invStd,  z = gamma * xhat + beta,  y = relu ? max(0, z) : z,  over each row of x [c][s].
 * With dz = dy * [z > 0] (or dy), the batch statistics differentiated too (Ioffe & Szegedy 2015, §3):
 *   dbeta = sum dz,  dgamma = sum dz * xhat,  dx += gamma * invStd / s * (s * dz - dbeta - xhat * dgamma).
 * dgamma, dbeta overwritten; dx ACCUMULATES (or is overwritten with overwriteDx). The ReLU mask is recomputed
 * from x (y need not be kept).
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function batchNormBackward(
  c: number, s: number, x: F32, mean: F32, invStd: F32, gamma: F32, beta: F32, relu: boolean,
  dy: F32, dx: F32, dgamma: F32, dbeta: F32, overwriteDx = false,
): void {
  const op = 'batchNorm backward';
  expectDims(op, { c, s });
  for (const [name, arr] of [['x', x], ['dy', dy], ['dx', dx]] as const) expectLength(op, name, arr, { c, s });
  const vecs = [['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta], ['dgamma', dgamma], ['dbeta', dbeta]] as const;
  for (const [name, arr] of vecs) expectLength(op, name, arr, { c });
  const dz = new Float64Array(s); // scratch: one row of dL/dz
  for (let ch = 0; ch < c; ch++) {
    const base = ch * s;
    const mu = mean[ch];
    const is = invStd[ch];
    let sumDz = 0;
    let sumDzXhat = 0;
    for (let i = 0; i < s; i++) {
      const xhat = (x[base + i] - mu) * is;
      const g = relu && !(gamma[ch] * xhat + beta[ch] > 0) ? 0 : dy[base + i];
      dz[i] = g;
      sumDz += g;
      sumDzXhat += g * xhat;
    }
    dbeta[ch] = sumDz;
    dgamma[ch] = sumDzXhat;
    const k = (gamma[ch] * is) / s;
    for (let i = 0; i < s; i++) {
      const xhat = (x[base + i] - mu) * is;
      dx[base + i] = (overwriteDx ? 0 : dx[base + i]) + k * (s * dz[i] - sumDz - xhat * sumDzXhat);
    }
  }
}
