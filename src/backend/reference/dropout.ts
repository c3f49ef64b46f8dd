/**
 * Inverted dropout with a caller-given keep mask (torch.nn.functional.dropout in training mode, where kept
 * units are scaled by 1 / (1 - p)). The mask comes from the caller's seeded RNG so every backend drops the
 * same units; this op draws nothing. y may alias x.
 */
import type { F32 } from '../backend.js';
import { expectAtLeast, expectDims } from '../validate.js';

export function dropout(size: number, x: F32, keep: Uint8Array, p: number, y: F32): void {
  expectDims('dropout', { size }, false);
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p=${p} must be in [0, 1)`);
  expectAtLeast('dropout', 'x', x, { size });
  expectAtLeast('dropout', 'keep', keep, { size });
  expectAtLeast('dropout', 'y', y, { size });
  for (let i = 0; i < size; i++) y[i] = keep[i] ? x[i] / (1 - p) : 0;
}
