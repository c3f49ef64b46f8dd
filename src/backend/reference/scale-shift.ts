/**
 * Per-channel affine with optional ReLU: y[c][i] = max(0, x[c][i] * scale[c] + shift[c]), x, y: [c][s].
 * Inference batch norm (torch.nn.BatchNorm2d in eval mode folded to scale/shift) fused with its ReLU.
 * y may alias x: each element is read before it is written.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function scaleShift(c: number, s: number, x: F32, scale: F32, shift: F32, relu: boolean, y: F32): void {
  const op = 'scaleShift';
  expectDims(op, { c, s }, false);
  expectLength(op, 'x', x, { c, s });
  expectLength(op, 'scale', scale, { c });
  expectLength(op, 'shift', shift, { c });
  expectLength(op, 'y', y, { c, s });
  for (let ch = 0; ch < c; ch++) {
    const a = scale[ch];
    const b = shift[ch];
    for (let i = ch * s; i < (ch + 1) * s; i++) {
      const v = x[i] * a + b;
      y[i] = relu && !(v > 0) ? 0 : v;
    }
  }
}
