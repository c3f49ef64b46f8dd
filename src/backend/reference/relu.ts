/**
 * ReLU, y = max(0, x) over the first `size` elements (torch.relu; NaN maps to 0 here, which torch keeps as NaN;
 * no finite input differs). y may alias x.
 */
import type { F32 } from '../backend.js';
import { expectAtLeast, expectDims } from '../validate.js';

export function relu(size: number, x: F32, y: F32): void {
  expectDims('relu', { size }, false);
  expectAtLeast('relu', 'x', x, { size });
  expectAtLeast('relu', 'y', y, { size });
  for (let i = 0; i < size; i++) y[i] = x[i] > 0 ? x[i] : 0;
}
