/**
 * Per-sample transforms on CHW images: zero-pad + random crop and random horizontal flip (the CIFAR augmentation
 * of He et al. 2016 §4.2 that the DenseNet paper uses, §4.1), per-channel normalisation and dataset mean/std.
 * Order and meaning follow torchvision: RandomCrop(size, padding) -> RandomHorizontalFlip -> ToTensor ->
 * Normalize, so padding is pixel value 0 before normalisation. Randomness comes only from the Rng passed in.
 * Not here: resizing (image folders are resized at load time by the decoder, see image-folder.ts).
 */

import type { Rng } from '../tensor/rng.js';
import type { Dataset, ImageShape } from './dataset.js';

/** Commonly used statistics, in [0, 1] units (CIFAR-10 computed on its training set, ImageNet torchvision's). */
export const STATS = {
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  fashionMnist: { mean: [0.286], std: [0.353] },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
} as const;

export interface AugmentOptions {
  /** Zero padding on each side before a random crop back to the original size (4 for 32x32); 0 = no crop. */
  pad?: number;
  /** Random horizontal flip with probability 1/2. */
  flip?: boolean;
}

/** One draw of the augmentation: crop window offset in the padded image (0..2*pad) and flip. */
export interface SampleAugment {
  dx: number;
  dy: number;
  flip: boolean;
}

export const IDENTITY: SampleAugment = { dx: 0, dy: 0, flip: false };

/** Draws crop offsets (y then x) then the flip, in torchvision's order. With pad 0 the offsets are pad-centred. */
export function drawAugment(rng: Rng, opts: AugmentOptions): SampleAugment {
  const pad = opts.pad ?? 0;
  const dy = pad > 0 ? rng.int(2 * pad + 1) : 0;
  const dx = pad > 0 ? rng.int(2 * pad + 1) : 0;
  const flip = opts.flip === true && rng.uniform() < 0.5;
  return { dx, dy, flip };
}

/**
 * out(c, y, x) = padded(c, y + dy, x' + dx) with x' = flip ? W-1-x : x, where padded is src with `pad` zero
 * pixels on every side. Works on uint8 or float CHW; out must not alias src.
 */
export function cropFlip<T extends Uint8Array | Float32Array>(src: T, shape: ImageShape, pad: number, a: SampleAugment, out: T): T {
  const { channels: C, height: H, width: W } = shape;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const sy = y + a.dy - pad;
      const row = (c * H + y) * W;
      for (let x = 0; x < W; x++) {
        const sx = (a.flip ? W - 1 - x : x) + a.dx - pad;
        out[row + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? src[(c * H + sy) * W + sx] : 0;
      }
    }
  }
  return out;
}

export function randomCrop<T extends Uint8Array | Float32Array>(src: T, shape: ImageShape, pad: number, rng: Rng, out: T): T {
  return cropFlip(src, shape, pad, drawAugment(rng, { pad }), out);
}

export function randomHorizontalFlip<T extends Uint8Array | Float32Array>(src: T, shape: ImageShape, rng: Rng, out: T): T {
  return cropFlip(src, shape, 0, drawAugment(rng, { flip: true }), out);
}

/** Per-channel lookup table lut[c*256 + v] = (v/255 - mean[c]) / std[c], rounded to float32 once. */
export function normalizeTable(mean: readonly number[], std: readonly number[], channels: number): Float32Array {
  const m = broadcast(mean, channels, 'mean');
  const s = broadcast(std, channels, 'std');
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    if (!(s[c] > 0)) throw new Error(`normalize: std[${c}] must be > 0, got ${s[c]}`);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - m[c]) / s[c];
  }
  return lut;
}

/** Augments (optionally) and normalises one uint8 CHW sample into out[offset, offset + C*H*W). */
export function augmentNormalize(
  src: Uint8Array, shape: ImageShape, pad: number, a: SampleAugment, lut: Float32Array, out: Float32Array, offset: number,
): void {
  const { channels: C, height: H, width: W } = shape;
  const plain = a.dx === pad && a.dy === pad && !a.flip;
  for (let c = 0; c < C; c++) {
    const base = c * 256;
    const zero = lut[base];
    for (let y = 0; y < H; y++) {
      const o = offset + (c * H + y) * W;
      const sy = y + a.dy - pad;
      if (sy < 0 || sy >= H) {
        out.fill(zero, o, o + W);
        continue;
      }
      const srow = (c * H + sy) * W;
      if (plain) {
        for (let x = 0; x < W; x++) out[o + x] = lut[base + src[srow + x]];
        continue;
      }
      for (let x = 0; x < W; x++) {
        const sx = (a.flip ? W - 1 - x : x) + a.dx - pad;
        out[o + x] = sx >= 0 && sx < W ? lut[base + src[srow + sx]] : zero;
      }
    }
  }
}

/** (x/255 - mean[c]) / std[c] for one uint8 CHW sample. */
export function normalize(src: Uint8Array, shape: ImageShape, mean: readonly number[], std: readonly number[], out?: Float32Array): Float32Array {
  const o = out ?? new Float32Array(src.length);
  augmentNormalize(src, shape, 0, IDENTITY, normalizeTable(mean, std, shape.channels), o, 0);
  return o;
}

/** Per-channel mean and (population) standard deviation over every pixel of ds, in [0, 1] units. */
export function computeMeanStd(ds: Dataset): { mean: number[]; std: number[] } {
  const C = ds.channels;
  const plane = ds.height * ds.width;
  // Integer histograms per channel: exact and faster than float sums over 10^8 pixels.
  const hist = new Float64Array(C * 256);
  for (let i = 0; i < ds.size; i++) {
    const img = ds.image(i);
    for (let c = 0; c < C; c++) {
      const base = c * 256;
      for (let p = c * plane, end = p + plane; p < end; p++) hist[base + img[p]]++;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < C; c++) {
    let n = 0, s = 0, s2 = 0;
    for (let v = 0; v < 256; v++) {
      const h = hist[c * 256 + v];
      n += h; s += h * v; s2 += h * v * v;
    }
    const m = n > 0 ? s / n : 0;
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(0, (n > 0 ? s2 / n : 0) - m * m)) / 255);
  }
  return { mean, std };
}

function broadcast(v: readonly number[], channels: number, what: string): readonly number[] {
  if (v.length === channels) return v;
  if (v.length === 1) return new Array<number>(channels).fill(v[0]);
  throw new Error(`normalize: ${what} has ${v.length} values but the images have ${channels} channels`);
}
