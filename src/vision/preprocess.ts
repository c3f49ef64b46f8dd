/**
 * An image file -> the model input, per a PreprocessSpec (Node: decodes with sharp).
 * - 'short-side' (torchvision's ImageNet preset): decode at full size (image.ts), then the pure pipeline of
 *   preprocess-pixels.ts, which reproduces torchvision's Resize + CenterCrop on PIL images byte for byte.
 * - 'cover' (a checkpoint trained on an image folder): the very decode training used (data/image-folder.ts:
 *   sharp resize to cover, linear kernel, centre crop, then PIL's luma for 1 channel), so predict sees the pixels
 *   training saw.
 * Then ToTensor + Normalize (preprocess-pixels.ts normalize).
 */
import { decode, loadSharp, toChw } from '../data/image-folder.js';
import { decodeImage, imageError } from './image.js';
import { checkSpec, finish, resizeAndCrop, type PreprocessedImage } from './preprocess-pixels.js';
import type { PreprocessSpec } from './preprocess-spec.js';

export type { PreprocessedImage } from './preprocess-pixels.js';

/** The uint8 pixels [H][W][C] the model sees (before normalisation) for `file`. */
export async function loadPixels(file: string, spec: PreprocessSpec): Promise<Uint8Array> {
  checkSpec(spec);
  const [C, H, W] = spec.inputSize;
  if (spec.resize.mode === 'short-side') {
    // the luma is taken from the decoded RGB before the resize, inside resizeAndCrop
    return resizeAndCrop(await decodeImage(file, 3), spec);
  }
  const sharp = await loadSharp();
  let rgb: Uint8Array;
  try {
    rgb = await decode(sharp, file, H, W, 'cover');
  } catch (e) {
    throw imageError(file, e);
  }
  if (C === 3) return rgb;
  const gray = new Uint8Array(H * W);
  toChw(rgb, 1, H * W, gray);
  return gray;
}

/**
 * `file` -> input [C, H, W] (normalised) and display (RGB HWC, the pixels the model saw, H x W).
 * A file that is not a readable image throws one line naming it.
 */
export async function loadImage(file: string, spec: PreprocessSpec): Promise<PreprocessedImage> {
  return finish(await loadPixels(file, spec), spec);
}
