/**
 * Image-folder datasets laid out like torchvision's ImageFolder: DIR/<class>/<...>/<image>, classes sorted by
 * name, files sorted within a class. Images (JPEG, PNG, WebP, GIF, TIFF) are decoded by sharp (libvips) in
 * parallel, converted to 1 or 3 channels (alpha dropped) and resized to a fixed HxW once, at load time; the
 * dataset then holds uint8 CHW like the others. Not lazy: every image is decoded into memory up front.
 * commonImageSize reads only the headers, to default the size to the images' own when they all share one
 * (a folder of 20x20 digits resized to 224x224 would cost over 100 times the compute for nothing).
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Sharp, SharpOptions } from 'sharp';
import { ArrayDataset, sharedBytes } from './dataset.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];

export interface ImageFolderOptions {
  /** 1 = grayscale, 3 = RGB (default). */
  channels?: 1 | 3;
  height: number;
  width: number;
  /**
   * 'cover' (default): scale so the image covers HxW, then centre-crop; a number s: scale the shorter side to s,
   * then centre-crop HxW (torchvision Resize(s) + CenterCrop); 'stretch': scale to HxW ignoring aspect ratio.
   */
  resize?: 'cover' | 'stretch' | number;
  /** Use this class list (e.g. the training split's) instead of the folder's own; extra folders are an error. */
  classNames?: string[];
  /** Images decoded at once (default 8; sharp also spreads each over its own threads). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Receives the one-line summary of skipped images (default: stderr). */
  warn?: (line: string) => void;
}

export type SharpFactory = (input: string, options?: SharpOptions) => Sharp;

export async function loadImageFolder(dir: string, opts: ImageFolderOptions): Promise<ArrayDataset> {
  const C = opts.channels ?? 3;
  const { height: H, width: W } = opts;
  if (C !== 1 && C !== 3) throw new Error(`image-folder: channels must be 1 or 3, got ${String(C)}`);
  if (!(Number.isInteger(H) && H > 0 && Number.isInteger(W) && W > 0)) throw new Error(`image-folder: bad size ${H}x${W}`);
  const resize = opts.resize ?? 'cover';
  if (typeof resize === 'number' && !(Number.isInteger(resize) && resize >= Math.max(H, W))) {
    throw new Error(`image-folder: resize ${resize} must be an integer >= the crop size ${H}x${W}`);
  }
  const { classNames, files, labels } = listImages(dir, opts.classNames);
  const sharp = await loadSharp();
  const per = C * H * W;
  const pixels = sharedBytes(files.length * per);
  const ok = new Uint8Array(files.length);
  const failures: string[] = [];
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      try {
        const rgb = await decode(sharp, files[i], H, W, resize);
        toChw(rgb, C, H * W, pixels.subarray(i * per, (i + 1) * per));
        ok[i] = 1;
      } catch (e) {
        failures[i] = `${files[i]}: ${e instanceof Error ? e.message : String(e)}`;
      }
      opts.onProgress?.(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  const firstFailure = failures.find((f) => f !== undefined);
  let n = 0;
  const kept: number[] = [];
  for (let i = 0; i < files.length; i++) {
    if (!ok[i]) continue;
    if (n !== i) pixels.copyWithin(n * per, i * per, (i + 1) * per); // compact in place, order kept
    kept.push(labels[i]);
    n++;
  }
  if (n === 0) throw new Error(`image-folder: none of the ${files.length} images in ${dir} could be read (first: ${firstFailure})`);
  if (n < files.length) {
    const skipped = files.length - n;
    const line = `image-folder: skipped ${skipped} unreadable image${skipped > 1 ? 's' : ''} (first: ${firstFailure})`;
    (opts.warn ?? ((l: string) => process.stderr.write(l + '\n')))(line);
  }
  return new ArrayDataset(pixels.subarray(0, n * per), Int32Array.from(kept), { channels: C, height: H, width: W }, classNames);
}

/**
 * The size every image under `dir` (all sub-folders, splits included) has, from the file headers alone (sharp's
 * metadata(), which decodes no pixels), or null when sizes differ. Unreadable files are passed over (loading
 * reports them). Stops at the first image of another size.
 */
export async function commonImageSize(dir: string, concurrency = 16): Promise<{ height: number; width: number } | null> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  const files = walkImages(dir);
  const sharp = await loadSharp();
  let size: { height: number; width: number } | null = null;
  let differ = false;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length && !differ) {
      const file = files[next++];
      let m: { width?: number; height?: number };
      try {
        m = await sharp(file).metadata();
      } catch {
        continue;
      }
      if (m.width === undefined || m.height === undefined) continue;
      if (size === null) size = { height: m.height, width: m.width };
      else if (size.height !== m.height || size.width !== m.width) differ = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return differ ? null : size;
}

/** Class folders (sorted) and their image files (sorted, recursive), like torchvision's make_dataset. */
export function listImages(dir: string, fixed?: string[]): { classNames: string[]; files: string[]; labels: number[] } {
  if (!existsSync(dir)) throw new Error(`image-folder: folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new Error(`image-folder: ${dir} is not a folder`);
  const found = subfolders(dir);
  if (found.length === 0) throw new Error(`image-folder: no class sub-folders in ${dir} (expected ${dir}/<class name>/<images>)`);
  const classNames = fixed ?? found;
  for (const f of found) {
    if (!classNames.includes(f)) throw new Error(`image-folder: ${join(dir, f)} is not one of the classes [${classNames.join(', ')}]`);
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const name of found) {
    const label = classNames.indexOf(name);
    for (const f of walkImages(join(dir, name))) {
      files.push(f);
      labels.push(label);
    }
  }
  if (files.length === 0) {
    throw new Error(`image-folder: no images (${IMAGE_EXTENSIONS.join(' ')}) in the ${found.length} class folder${found.length > 1 ? 's' : ''} of ${dir}`);
  }
  return { classNames, files, labels };
}

function subfolders(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory()).sort();
}

/** Files under `dir` (recursively, sorted, dot-files skipped) whose extension is one of `extensions` (any case). */
export function walkImages(dir: string, extensions: readonly string[] = IMAGE_EXTENSIONS): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).filter((n) => !n.startsWith('.')).sort()) {
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walkImages(p, extensions));
    else if (st.isFile() && extensions.includes(extname(n).toLowerCase())) out.push(p);
  }
  return out;
}

/** Decodes one file to uint8 RGB HWC of size HxW. */
export async function decode(sharp: SharpFactory, file: string, H: number, W: number, resize: 'cover' | 'stretch' | number): Promise<Uint8Array> {
  // Always decode to sRGB; grayscale is made from it below with PIL's weights (torchvision's Grayscale).
  let img = sharp(file, { failOn: 'error' }).toColourspace('srgb').removeAlpha();
  if (resize === 'cover' || resize === 'stretch') {
    img = img.resize(W, H, { fit: resize === 'cover' ? 'cover' : 'fill', position: 'centre', kernel: 'linear' });
  } else {
    img = img.resize(resize, resize, { fit: 'outside', kernel: 'linear' });
  }
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  if (info.width === W && info.height === H) return data;
  // Centre crop as torchvision's CenterCrop: top = round((h - H) / 2), left = round((w - W) / 2).
  const top = Math.round((info.height - H) / 2);
  const left = Math.round((info.width - W) / 2);
  const out = new Uint8Array(H * W * 3);
  for (let y = 0; y < H; y++) {
    const s = ((top + y) * info.width + left) * 3;
    out.set(data.subarray(s, s + W * 3), y * W * 3);
  }
  return out;
}

/** Interleaved RGB HWC -> planar CHW, or to luma L = (19595 R + 38470 G + 7471 B) / 65536 as PIL's convert('L'). */
export function toChw(rgb: Uint8Array, C: number, plane: number, out: Uint8Array): void {
  if (C === 1) {
    for (let p = 0; p < plane; p++) {
      out[p] = (rgb[3 * p] * 19595 + rgb[3 * p + 1] * 38470 + rgb[3 * p + 2] * 7471 + 0x8000) >> 16;
    }
    return;
  }
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) out[c * plane + p] = rgb[p * 3 + c];
  }
}

let sharpModule: SharpFactory | null = null;

/** sharp is loaded on first use so the IDX and CIFAR readers work where its native binary is unavailable. */
export async function loadSharp(): Promise<SharpFactory> {
  if (sharpModule) return sharpModule;
  try {
    const mod = await import('sharp');
    sharpModule = mod.default as SharpFactory;
    return sharpModule;
  } catch (e) {
    throw new Error(`image-folder: cannot load the image decoder 'sharp' (${e instanceof Error ? e.message : String(e)}); reinstall it with: npm install sharp`);
  }
}
