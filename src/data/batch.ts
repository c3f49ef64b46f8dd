/**
 * Builds one NCHW float32 batch from uint8 storage: the code both the DataLoader's workers and its
 * main-thread path run, so a batch is the same bytes wherever it is made. Batch b of epoch e draws its
 * augmentation from Rng(mixSeed(seed, e, b)), sample by sample in batch order: content depends only on
 * (seed, epoch, batch index), never on timing or on which worker made it. Not a scheduler (see loader.ts).
 */

import { Rng } from '../tensor/rng.js';
import type { ImageShape } from './dataset.js';
import { augmentNormalize, drawAugment, IDENTITY } from './transforms.js';

/** What a worker needs to make batches, sent once (pixels shared, not copied). */
export interface BatchPlan {
  /** All samples, uint8 CHW, sample k at k * C*H*W. */
  pixels: Uint8Array;
  shape: ImageShape;
  /** Random-crop padding (0 = none) and flip; both off = no augmentation. */
  pad: number;
  flip: boolean;
  /** normalizeTable(mean, std, C). */
  lut: Float32Array;
}

/** A 32-bit hash of small integers (FNV-1a steps with a murmur3 finaliser), to derive independent seeds. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * x[j] = normalise(augment(pixels sample storageIdx[j])) for each j, into out (length B*C*H*W) or a new array.
 * augSeed null = no augmentation.
 */
export function fillBatch(plan: BatchPlan, storageIdx: Int32Array, augSeed: number | null, out?: Float32Array): Float32Array {
  const { shape, pixels, pad, lut } = plan;
  const per = shape.channels * shape.height * shape.width;
  const x = out ?? new Float32Array(storageIdx.length * per);
  const rng = augSeed === null ? null : new Rng(augSeed);
  for (let j = 0; j < storageIdx.length; j++) {
    const k = storageIdx[j];
    const src = pixels.subarray(k * per, (k + 1) * per);
    if (rng) augmentNormalize(src, shape, pad, drawAugment(rng, { pad, flip: plan.flip }), lut, x, j * per);
    else augmentNormalize(src, shape, 0, IDENTITY, lut, x, j * per);
  }
  return x;
}

/** Messages between the loader and its workers. */
export interface BatchRequest {
  id: number;
  indices: Int32Array;
  augSeed: number | null;
}
export type BatchReply = { id: number; x: Float32Array } | { id: number; error: string };
