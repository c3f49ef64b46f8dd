/**
 * The in-memory dataset every loader returns: uint8 images (one byte per pixel and channel, CHW order, the
 * layout of CIFAR's files and of the model's NCHW input) and integer labels, plus subset and validation splits.
 * It is not a lazy or streaming dataset: Fashion-MNIST is 55 MB and CIFAR-10 180 MB as uint8, which fits.
 * Pixel storage is allocated in a SharedArrayBuffer so the DataLoader's workers read it without a copy.
 */

import { Rng } from '../tensor/rng.js';

export interface Dataset {
  readonly size: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly numClasses: number;
  readonly classNames: string[];
  /** Class index of sample i, in [0, numClasses). */
  label(i: number): number;
  /** Sample i as uint8 CHW, length channels*height*width: a view into the dataset's storage, do not modify. */
  image(i: number): Uint8Array;
}

export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/** A zeroed byte array backed by a SharedArrayBuffer (workers can read it without copying). */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

/** A dataset over one contiguous pixel array: sample i is pixels[i*C*H*W, (i+1)*C*H*W). */
export class ArrayDataset implements Dataset {
  readonly size: number;
  readonly numClasses: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly sampleSize: number;

  constructor(
    readonly pixels: Uint8Array,
    readonly labels: Int32Array,
    shape: ImageShape,
    readonly classNames: string[],
  ) {
    this.channels = shape.channels;
    this.height = shape.height;
    this.width = shape.width;
    this.sampleSize = shape.channels * shape.height * shape.width;
    this.size = labels.length;
    this.numClasses = classNames.length;
  }

  label(i: number): number {
    return this.labels[checkIndex(i, this.size)];
  }

  image(i: number): Uint8Array {
    const o = checkIndex(i, this.size) * this.sampleSize;
    return this.pixels.subarray(o, o + this.sampleSize);
  }
}

/**
 * Wraps users' own data. images: all samples concatenated (uint8 CHW each) or one array per sample;
 * labels: integers in [0, classNames.length). The pixels are copied into shared storage.
 */
export function fromArrays(
  images: Uint8Array | readonly Uint8Array[],
  labels: ArrayLike<number>,
  shape: ImageShape | readonly [number, number, number],
  classNames: string[],
): ArrayDataset {
  const s: ImageShape = isTuple(shape) ? { channels: shape[0], height: shape[1], width: shape[2] } : shape;
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`fromArrays: ${k} must be a positive integer, got ${v}`);
  }
  if (classNames.length === 0) throw new Error('fromArrays: classNames is empty');
  const per = s.channels * s.height * s.width;
  const n = labels.length;
  const pixels = sharedBytes(n * per);
  if (images instanceof Uint8Array) {
    if (images.length !== n * per) {
      throw new Error(`fromArrays: images have ${images.length} bytes but ${n} labels x ${s.channels}x${s.height}x${s.width} need ${n * per}`);
    }
    pixels.set(images);
  } else {
    if (images.length !== n) throw new Error(`fromArrays: ${images.length} images but ${n} labels`);
    images.forEach((img, i) => {
      if (img.length !== per) throw new Error(`fromArrays: image ${i} has ${img.length} bytes, expected ${s.channels}x${s.height}x${s.width} = ${per}`);
      pixels.set(img, i * per);
    });
  }
  return new ArrayDataset(pixels, checkLabels(labels, classNames.length), s, classNames);
}

/** Copies labels to an Int32Array, checking each is an integer in [0, numClasses). */
export function checkLabels(labels: ArrayLike<number>, numClasses: number, what = 'labels'): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
      throw new Error(`${what} out of range: label ${l} at index ${i} but numClasses is ${numClasses}`);
    }
    out[i] = l;
  }
  return out;
}

/** A view of the samples of `parent` at `indices` (in that order). */
export class SubsetDataset implements Dataset {
  readonly indices: Int32Array;

  constructor(readonly parent: Dataset, indices: ArrayLike<number>) {
    this.indices = Int32Array.from(indices);
    for (let i = 0; i < this.indices.length; i++) {
      const j = this.indices[i];
      if (j < 0 || j >= parent.size || j !== indices[i]) {
        throw new Error(`subset: index ${indices[i]} at position ${i} is out of range for a dataset of ${parent.size}`);
      }
    }
  }

  get size(): number { return this.indices.length; }
  get channels(): number { return this.parent.channels; }
  get height(): number { return this.parent.height; }
  get width(): number { return this.parent.width; }
  get numClasses(): number { return this.parent.numClasses; }
  get classNames(): string[] { return this.parent.classNames; }
  label(i: number): number { return this.parent.label(this.indices[checkIndex(i, this.size)]); }
  image(i: number): Uint8Array { return this.parent.image(this.indices[checkIndex(i, this.size)]); }
}

export function subset(ds: Dataset, indices: ArrayLike<number>): SubsetDataset {
  return new SubsetDataset(ds, indices);
}

/**
 * Holds out round(fraction * size) samples chosen by a seeded shuffle (not stratified). Both parts keep the
 * original order of their samples, so the split depends only on (size, fraction, seed).
 */
export function splitValidation(ds: Dataset, fraction: number, seed = 0): { train: SubsetDataset; val: SubsetDataset } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`splitValidation: fraction must be in (0, 1), got ${fraction}`);
  const perm = permutation(ds.size, new Rng(seed));
  const nVal = Math.round(fraction * ds.size);
  const val = perm.slice(0, nVal).sort();
  const train = perm.slice(nVal).sort();
  return { train: subset(ds, train), val: subset(ds, val) };
}

/** Fisher-Yates permutation of 0..n-1 drawn from rng. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

/**
 * The flat storage behind a dataset, for the loader's workers: shared pixels plus an index map (null = identity).
 * Datasets that are not ArrayDataset or subsets of one are copied into shared storage once.
 */
export function sharedStorage(ds: Dataset): { pixels: Uint8Array; index: Int32Array | null } {
  if (ds instanceof ArrayDataset && ds.pixels.buffer instanceof SharedArrayBuffer) return { pixels: ds.pixels, index: null };
  if (ds instanceof SubsetDataset) {
    const inner = sharedStorage(ds.parent);
    if (inner.index === null) return { pixels: inner.pixels, index: ds.indices };
    const map = inner.index;
    return { pixels: inner.pixels, index: ds.indices.map((i) => map[i]) };
  }
  const per = ds.channels * ds.height * ds.width;
  const pixels = sharedBytes(ds.size * per);
  for (let i = 0; i < ds.size; i++) pixels.set(ds.image(i), i * per);
  return { pixels, index: null };
}

function checkIndex(i: number, size: number): number {
  if (!(i >= 0 && i < size) || !Number.isInteger(i)) throw new Error(`dataset: index ${i} out of range [0, ${size})`);
  return i;
}

function isTuple(s: ImageShape | readonly [number, number, number]): s is readonly [number, number, number] {
  return Array.isArray(s);
}
