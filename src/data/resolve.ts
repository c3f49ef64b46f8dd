/**
 * Turns the `--data` spec of `densenet train`/`eval` into datasets: `fashion-mnist` (Debian package
 * dataset-fashion-mnist), `mnist:DIR`/`idx:DIR`, `cifar10:DIR`, `cifar100:DIR`, or else an image folder DIR
 * (class sub-folders, or train/ + val/ or test/ splits each holding class sub-folders). Not a downloader:
 * nothing is fetched from the network; missing data is an error saying how to get it.
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10, loadCifar100 } from './cifar.js';
import type { Dataset } from './dataset.js';
import { commonImageSize, loadImageFolder, type ImageFolderOptions } from './image-folder.js';
import { loadIdxDir } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface ResolveOptions {
  /** Where `fashion-mnist` lives (default FASHION_MNIST_DIR). */
  fashionMnistDir?: string;
  /**
   * Image folders: target channels and size and how to resize. Without a size: the images' own when they all
   * share one, else `imageDefaultSize` (default 224x224).
   */
  image?: Partial<ImageFolderOptions>;
  imageDefaultSize?: { height: number; width: number; why: string };
}

export interface ResolvedData {
  train: Dataset;
  test?: Dataset;
  /** A short description for logs: `fashion-mnist (/usr/share/datasets/fashion-mnist)`. */
  description: string;
  /** Image folders: the size images were brought to and why (`all the same size`, `sizes differ: ...`, `given`). */
  imageSize?: { height: number; width: number; why: string };
}

export async function resolveData(spec: string, opts: ResolveOptions = {}): Promise<ResolvedData> {
  if (spec === 'fashion-mnist') {
    const dir = opts.fashionMnistDir ?? FASHION_MNIST_DIR;
    if (!existsSync(dir)) {
      throw new Error(`data: fashion-mnist not found in ${dir}; install it with: apt-get install dataset-fashion-mnist`);
    }
    return both(`fashion-mnist (${dir})`, (s) => loadIdxDir(dir, s, { classNames: 'fashion' }));
  }
  const m = /^(idx|mnist|cifar10|cifar100):(.+)$/.exec(spec);
  if (m) {
    const [, kind, dir] = m;
    if (kind === 'cifar10') return both(`cifar10 (${dir})`, (s) => loadCifar10(dir, s));
    if (kind === 'cifar100') return both(`cifar100 (${dir})`, (s) => loadCifar100(dir, s));
    return both(`${kind} (${dir})`, (s) => loadIdxDir(dir, s, kind === 'mnist' ? { classNames: 'digits' } : {}));
  }
  return resolveImageFolder(spec, opts.image ?? {}, opts.imageDefaultSize ?? { height: 224, width: 224, why: 'the default' });
}

/** Loads train, and test when its files are present (a missing test split is not an error). */
function both(description: string, load: (split: 'train' | 'test') => Dataset): ResolvedData {
  const train = load('train');
  let test: Dataset | undefined;
  try {
    test = load('test');
  } catch (e) {
    if (!(e instanceof Error && /missing file|no t10k/.test(e.message))) throw e;
  }
  return test ? { train, test, description } : { train, description };
}

async function resolveImageFolder(
  dir: string, image: Partial<ImageFolderOptions>, fallback: { height: number; width: number; why: string },
): Promise<ResolvedData> {
  if (!existsSync(dir)) {
    throw new Error(`data: ${dir} is neither a known dataset (fashion-mnist, idx:DIR, mnist:DIR, cifar10:DIR, cifar100:DIR) nor an existing image folder`);
  }
  let imageSize: { height: number; width: number; why: string };
  if (image.height !== undefined && image.width !== undefined) imageSize = { height: image.height, width: image.width, why: 'given' };
  else {
    const own = await commonImageSize(dir);
    imageSize = own !== null ? { ...own, why: 'all the same size' } : { ...fallback, why: `sizes differ; ${fallback.why}` };
  }
  const o: ImageFolderOptions = { ...image, height: imageSize.height, width: imageSize.width };
  const subs = readdirSync(dir).filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory());
  const split = subs.length > 0 && subs.includes('train') && subs.every((n) => ['train', 'val', 'test'].includes(n));
  if (!split) return { train: await loadImageFolder(dir, o), description: `image folder ${dir}`, imageSize };
  const train = await loadImageFolder(join(dir, 'train'), o);
  const testName = subs.includes('val') ? 'val' : subs.includes('test') ? 'test' : null;
  if (testName === null) return { train, description: `image folder ${dir}/train`, imageSize };
  const test = await loadImageFolder(join(dir, testName), { ...o, classNames: train.classNames });
  return { train, test, description: `image folder ${dir} (train/ + ${testName}/)`, imageSize };
}
