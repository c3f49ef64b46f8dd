/**
 * ReLU backward, the reference (torch's threshold_backward): dx = dy where y > 0, else 0; y is the ReLU
 * output, so the gradient at exactly 0 is 0, as in PyTorch. dx overwritten; it may alias dy.
 */
import type { F32 } from '../backend.js';
import { expectAtLeast, expectDims } from '../validate.js';

export function reluBackward(size: number, y: F32, dy: F32, dx: F32): void {
  const op = 'relu backward';
  expectDims(op, { size }, false);
  expectAtLeast(op, 'y', y, { size });
  expectAtLeast(op, 'dy', dy, { size });
  expectAtLeast(op, 'dx', dx, { size });
  for (let i = 0; i < size; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}
