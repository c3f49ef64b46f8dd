/**
 * Global average pooling, the reference: torch.nn.functional.adaptive_avg_pool2d(x, 1) followed by flatten,
 * as at the head of torchvision's DenseNet. x: [c][n][hw] (CNHW) -> y: [n][c] (row-major, classifier input).
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function globalAvgPool(c: number, n: number, hw: number, x: F32, y: F32): void {
  const op = 'globalAvgPool';
  expectDims(op, { c, n, hw });
  expectLength(op, 'x', x, { c, n, hw });
  expectLength(op, 'y', y, { n, c });
  for (let ch = 0; ch < c; ch++) {
    for (let b = 0; b < n; b++) {
      const base = (ch * n + b) * hw;
      let s = 0;
      for (let i = 0; i < hw; i++) s += x[base + i];
      y[b * c + ch] = s / hw;
    }
  }
}
