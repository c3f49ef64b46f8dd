/**
 * Fully connected layer, the reference: torch.nn.functional.linear, y[n][out] = x[n][in] · w[out][in]^T + b[out].
 * Row-major vectors, PyTorch weight layout; bias may be null.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function checkLinearArgs(op: string, n: number, inFeatures: number, outFeatures: number, x: F32, w: F32): void {
  expectDims(op, { n, inFeatures, outFeatures });
  expectLength(op, 'x', x, { n, in: inFeatures });
  expectLength(op, 'w', w, { out: outFeatures, in: inFeatures });
}

export function linear(n: number, inFeatures: number, outFeatures: number, x: F32, w: F32, b: F32 | null, y: F32): void {
  checkLinearArgs('linear', n, inFeatures, outFeatures, x, w);
  expectLength('linear', 'b', b, { out: outFeatures });
  expectLength('linear', 'y', y, { n, out: outFeatures });
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outFeatures; o++) {
      let s = b === null ? 0 : b[o];
      for (let i = 0; i < inFeatures; i++) s += x[r * inFeatures + i] * w[o * inFeatures + i];
      y[r * outFeatures + o] = s;
    }
  }
}
