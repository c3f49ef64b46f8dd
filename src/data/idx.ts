/**
 * Reader for IDX files, the format of MNIST and Fashion-MNIST (train-images-idx3-ubyte[.gz] and friends).
 * Only the unsigned-byte type (0x08) those datasets use is read; it is not a general IDX reader of all types.
 * Format: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS"): magic [0, 0, type, ndims], ndims big-endian
 * uint32 dimensions, then the data row-major. Gzip is detected by its magic bytes, not by the file name.
 * Bad files throw FormatError naming the file; a gzip member may inflate at most 1032x (deflate's limit).
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError } from '../io/format-error.js';
import { ArrayDataset, checkLabels, sharedBytes } from './dataset.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];
export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface IdxArray {
  dims: number[];
  /** The payload, row-major; shared storage when `shared` was asked for. */
  data: Uint8Array;
}

/** Deflate cannot expand more than about 1032:1 (zlib's FAQ), so a gzip member claiming more is a bomb. */
const INFLATE_RATIO = 1032;

/**
 * Parses one IDX ubyte file (raw or gzipped); `name` is used in error messages. A truncated, corrupt or lying
 * file throws FormatError: the dimensions must account for the file's length exactly before anything is copied.
 */
export function parseIdx(bytes: Uint8Array, name: string, shared = false): IdxArray {
  const fail = (detail: string): never => { throw new FormatError('idx', detail, name); };
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: Math.min(2 ** 32 - 1, buf.length * INFLATE_RATIO + 1024) });
    } catch (e) {
      fail(`corrupt gzip data (${(e as Error).message.split('\n')[0]})`);
    }
  }
  if (buf.length < 4) fail(`file is ${buf.length} bytes, too short for an IDX header`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    const magic = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`bad magic number ${magic} (an IDX file starts with 00 00 <type> <ndims>)`);
  }
  if (buf[2] !== 0x08) fail(`data type 0x${buf[2].toString(16)} is not supported (only 0x08 unsigned byte)`);
  const ndims = buf[3];
  const header = 4 + 4 * ndims;
  if (ndims === 0 || buf.length < header) fail(`header of ${ndims} dimensions does not fit in ${buf.length} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1); // inexact past 2^53, but then far above any file's length
  if (buf.length !== header + count) {
    const kind = buf.length < header + count ? 'truncated' : 'too long';
    fail(`${kind}: dims [${dims.join(', ')}] need ${header + count} bytes but the file has ${buf.length}`);
  }
  const payload = buf.subarray(header);
  let data: Uint8Array;
  if (shared) {
    data = sharedBytes(count);
    data.set(payload);
  } else {
    data = payload;
  }
  return { dims, data };
}

export function readIdxFile(path: string, shared = false): IdxArray {
  return parseIdx(readFileSync(path), path, shared);
}

export type IdxSplit = 'train' | 'test';

export interface IdxOptions {
  /** 'fashion' or 'digits' names, or your own; default: Fashion-MNIST's if the folder name contains "fashion". */
  classNames?: 'fashion' | 'digits' | string[];
}

/** Loads `train-*` or `t10k-*` images and labels (raw or .gz; `-idx3-ubyte` or `.idx3-ubyte` spelling) from dir. */
export function loadIdxDir(dir: string, split: IdxSplit, opts: IdxOptions = {}): ArrayDataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = findIdx(dir, `${prefix}-images`, 3);
  const labelsPath = findIdx(dir, `${prefix}-labels`, 1);
  const images = readIdxFile(imagesPath, true);
  const labels = readIdxFile(labelsPath);
  if (images.dims.length !== 3) throw new FormatError('idx', `expected 3 dims [N, H, W], got [${images.dims.join(', ')}]`, imagesPath);
  if (labels.dims.length !== 1) throw new FormatError('idx', `expected 1 dim [N], got [${labels.dims.join(', ')}]`, labelsPath);
  const [n, height, width] = images.dims;
  if (labels.dims[0] !== n) throw new FormatError('idx', `has ${labels.dims[0]} labels but ${imagesPath} has ${n} images`, labelsPath);
  const names = opts.classNames ?? (/fashion/i.test(dir) ? 'fashion' : 'digits');
  const classNames = names === 'fashion' ? FASHION_MNIST_CLASSES.slice() : names === 'digits' ? DIGIT_CLASSES.slice() : names;
  const bad = labels.data.findIndex((l) => l >= classNames.length);
  if (bad >= 0) throw new FormatError('idx', `labels out of range: label ${labels.data[bad]} at index ${bad} but numClasses is ${classNames.length}`, labelsPath);
  const lab = checkLabels(labels.data, classNames.length, `idx: ${labelsPath}: labels`);
  return new ArrayDataset(images.data, lab, { channels: 1, height, width }, classNames);
}

function findIdx(dir: string, stem: string, rank: number): string {
  const tried: string[] = [];
  for (const sep of ['-', '.']) {
    for (const gz of ['', '.gz']) {
      const name = `${stem}${sep}idx${rank}-ubyte${gz}`;
      const p = join(dir, name);
      if (existsSync(p)) return p;
      tried.push(name);
    }
  }
  if (!existsSync(dir)) throw new Error(`idx: folder not found: ${dir}`);
  throw new Error(`idx: no ${stem} file in ${dir} (looked for ${tried.join(', ')})`);
}
