/**
 * Readers for the binary versions of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html,
 * "Binary version"): CIFAR-10 records are <1 label byte><3072 pixel bytes>, CIFAR-100 records
 * <coarse byte><fine byte><3072 pixel bytes>; pixels are 32x32 CHW (1024 R, 1024 G, 1024 B). Not the Python
 * (pickle) or MATLAB versions. A file of the wrong length or with a label out of range throws FormatError
 * naming it, before the pixels are copied (lengths are checked before anything is allocated).
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../io/format-error.js';
import { ArrayDataset, checkLabels, sharedBytes } from './dataset.js';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const PIXELS = 3 * 32 * 32;
const SHAPE = { channels: 3, height: 32, width: 32 };

export type CifarSplit = 'train' | 'test';

/** CIFAR-10 from `dir` or `dir/cifar-10-batches-bin`: data_batch_1..5.bin (train) or test_batch.bin (test). */
export function loadCifar10(dir: string, split: CifarSplit): ArrayDataset {
  const root = findRoot(dir, 'cifar-10-batches-bin', split === 'train' ? 'data_batch_1.bin' : 'test_batch.bin', 'cifar10');
  const files = split === 'train' ? [1, 2, 3, 4, 5].map((b) => `data_batch_${b}.bin`) : ['test_batch.bin'];
  const classNames = readNames(join(root, 'batches.meta.txt')) ?? CIFAR10_CLASSES.slice();
  return readRecords('cifar10', files.map((f) => join(root, f)), 1, 0, classNames);
}

export interface Cifar100Options {
  /** Which label to use: the 100 fine classes (default) or the 20 coarse superclasses. */
  labels?: 'fine' | 'coarse';
}

/** CIFAR-100 from `dir` or `dir/cifar-100-binary`: train.bin or test.bin; fine labels unless asked otherwise. */
export function loadCifar100(dir: string, split: CifarSplit, opts: Cifar100Options = {}): ArrayDataset {
  const file = split === 'train' ? 'train.bin' : 'test.bin';
  const root = findRoot(dir, 'cifar-100-binary', file, 'cifar100');
  const coarse = opts.labels === 'coarse';
  const namesFile = join(root, coarse ? 'coarse_label_names.txt' : 'fine_label_names.txt');
  const count = coarse ? 20 : 100;
  const classNames = readNames(namesFile) ?? Array.from({ length: count }, (_, i) => String(i));
  if (classNames.length !== count) throw new Error(`cifar100: ${namesFile} lists ${classNames.length} names, expected ${count}`);
  return readRecords('cifar100', [join(root, file)], 2, coarse ? 0 : 1, classNames);
}

/** A batch file's record layout: `header` label bytes (the label used at `labelAt`) then 3072 pixels. */
export interface CifarLayout { kind: 'cifar10' | 'cifar100'; header: number; labelAt: number; numClasses: number }

/** The record count of a file of `size` bytes, or a FormatError naming the file. */
function recordCount(size: number, file: string, l: CifarLayout): number {
  const record = l.header + PIXELS;
  if (size === 0 || size % record !== 0) {
    throw new FormatError(l.kind, `${size} bytes is not a whole number of ${record}-byte records ` +
      `(${l.header} label byte${l.header > 1 ? 's' : ''} + 3072 pixels)`, file);
  }
  return size / record;
}

/**
 * Checks one batch file's bytes: whole records, and every label it uses below numClasses; returns the record
 * count. A bad file throws FormatError naming it.
 */
export function checkCifarBatch(bytes: Uint8Array, file: string, l: CifarLayout): number {
  const n = recordCount(bytes.length, file, l);
  const record = l.header + PIXELS;
  for (let i = 0; i < n; i++) {
    const label = bytes[i * record + l.labelAt];
    if (label >= l.numClasses) {
      throw new FormatError(l.kind, `labels out of range: label ${label} of record ${i} but numClasses is ${l.numClasses}`, file);
    }
  }
  return n;
}

/** Reads fixed-size records (`header` label bytes then 3072 pixels), taking the label at byte `labelAt`. */
function readRecords(what: 'cifar10' | 'cifar100', paths: string[], header: number, labelAt: number, classNames: string[]): ArrayDataset {
  const layout: CifarLayout = { kind: what, header, labelAt, numClasses: classNames.length };
  const record = header + PIXELS;
  let total = 0;
  const sizes: number[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`${what}: missing file ${p}`);
    const size = statSync(p).size;
    total += recordCount(size, p, layout); // sizes are checked before anything is allocated
    sizes.push(size);
  }
  const pixels = sharedBytes(total * PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  paths.forEach((p, f) => {
    const bytes = readFileSync(p);
    if (bytes.length !== sizes[f]) throw new FormatError(what, `${p} changed size while being read`, p);
    checkCifarBatch(bytes, p, layout);
    for (let o = 0; o < bytes.length; o += record, n++) {
      labels[n] = bytes[o + labelAt];
      pixels.set(bytes.subarray(o + header, o + record), n * PIXELS);
    }
  });
  const lab = checkLabels(labels, classNames.length, `${what}: labels`);
  return new ArrayDataset(pixels, lab, SHAPE, classNames);
}

function findRoot(dir: string, sub: string, probe: string, what: string): string {
  if (existsSync(join(dir, probe))) return dir;
  if (existsSync(join(dir, sub, probe))) return join(dir, sub);
  if (!existsSync(dir)) throw new Error(`${what}: folder not found: ${dir}`);
  throw new Error(`${what}: missing file ${join(dir, probe)} (also looked in ${join(dir, sub)})`);
}

/** One class name per non-empty line, or null if the file does not exist. */
function readNames(path: string): string[] | null {
  if (!existsSync(path)) return null;
  return readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}
