/**
 * Per-channel mean and biased variance over each row of x [c][s]: the batch statistics that training-mode
 * torch.nn.BatchNorm2d normalises with (biased variance; the running estimate is unbiased, kept by the caller).
 * Two passes in float64 (mean first, then squared deviations), so large means do not cancel.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function channelStats(c: number, s: number, x: F32, mean: F32, variance: F32): void {
  const op = 'channelStats';
  expectDims(op, { c, s });
  expectLength(op, 'x', x, { c, s });
  expectLength(op, 'mean', mean, { c });
  expectLength(op, 'variance', variance, { c });
  for (let ch = 0; ch < c; ch++) {
    const row = x.subarray(ch * s, (ch + 1) * s);
    let sum = 0;
    for (let i = 0; i < s; i++) sum += row[i];
    const mu = sum / s;
    let sq = 0;
    for (let i = 0; i < s; i++) sq += (row[i] - mu) * (row[i] - mu);
    mean[ch] = mu;
    variance[ch] = sq / s;
  }
}
