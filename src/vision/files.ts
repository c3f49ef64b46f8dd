/**
 * The image files a command's arguments name: files as given, folders searched recursively for .jpg .jpeg .png
 * .webp (any case), sorted. A path that does not exist is reported, not fatal (the caller skips it and exits 1).
 */
import { statSync } from 'node:fs';
import { walkImages } from '../data/image-folder.js';

export const PREDICT_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'];

export interface ImageList {
  files: string[];
  /** one line per argument that could not be used */
  errors: string[];
}

export function listImageFiles(paths: readonly string[]): ImageList {
  const files: string[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      errors.push(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
      continue;
    }
    if (!isDir) {
      files.push(p);
      continue;
    }
    const found = walkImages(p, PREDICT_EXTENSIONS);
    if (found.length === 0) errors.push(`${p}: no images (${PREDICT_EXTENSIONS.join(' ')}) in the folder`);
    files.push(...found);
  }
  return { files, errors };
}
