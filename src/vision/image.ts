/**
 * Image files -> uint8 pixels with sharp (libvips), for Node: JPEG, PNG, WebP (and what else sharp reads),
 * decoded at full size to RGB (alpha dropped, as PIL's convert('RGB')) or PIL's luma for 1-channel models.
 * No EXIF auto-rotation: torchvision's loader (PIL Image.open + convert) does not rotate either, so a photo
 * stored sideways reaches the model sideways in both. Decoders: PIL and libvips (libjpeg-turbo, libpng, libwebp)
 * give the same bytes on the committed JPEG, PNG (with an ICC profile) and WebP photos (test/vision); they may
 * differ where libvips applies colour management PIL skips (CMYK JPEGs, non-sRGB profiles).
 * Not the resize: that is preprocess-pixels.ts (torchvision's) or image-folder.ts's decode (training's).
 */
import { loadSharp } from '../data/image-folder.js';
import { rgbToLuma, type RawImage } from './pixels.js';

/** One line for a file that is not a readable image. */
export function imageError(file: string, e: unknown): Error {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new Error(`${file}: not a readable image (${msg})`);
}

/** Decodes `file` at its own size: [h][w][channels] uint8. */
export async function decodeImage(file: string, channels: 1 | 3 = 3): Promise<RawImage> {
  const sharp = await loadSharp();
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    out = await sharp(file, { failOn: 'error' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw imageError(file, e);
  }
  const { data, info } = out;
  if (info.channels !== 3) throw new Error(`${file}: decoded to ${info.channels} channels, expected 3`);
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (channels === 3) return { data: rgb, width: info.width, height: info.height, channels: 3 };
  return { data: rgbToLuma(rgb, info.width * info.height), width: info.width, height: info.height, channels: 1 };
}
