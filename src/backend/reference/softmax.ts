/**
 * Row-wise softmax of x [n][k] (torch.softmax(x, dim=1)): y = exp(x - max) / sum(exp(x - max)), the max
 * subtracted so large logits do not overflow. Sums in float64. y may alias x.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function softmax(n: number, k: number, x: F32, y: F32): void {
  expectDims('softmax', { n, k });
  expectLength('softmax', 'x', x, { n, k });
  expectLength('softmax', 'y', y, { n, k });
  for (let r = 0; r < n; r++) {
    const base = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, x[base + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(x[base + j] - max);
    // exp recomputed rather than stored, so the quotient is rounded to float32 once
    for (let j = 0; j < k; j++) y[base + j] = Math.exp(x[base + j] - max) / sum;
  }
}
