/**
 * What the user gives -> a RawImage in Fashion-MNIST's convention: a light garment on a black background,
 * framed like the data set (the object fills the 28x28 frame; IDX images are centred and scaled to fit).
 * - A drawing is black ink on a white pad (what people expect of a pad), so it is inverted, then cropped to the
 *   ink's bounding box, padded to a square with a small margin, and left to the checkpoint's resize.
 * - A dropped image is inverted when its border is light (a product photo on white, a scan): the mean luma of
 *   the outermost pixels above 127. A dark-background image (such as a Fashion-MNIST sample) is kept as it is.
 * Not here: resizing and normalisation (the library's preprocessPixels with the checkpoint's spec).
 */
import type { RawImage } from 'densenet-ts';

/** RGBA canvas pixels -> gray [h][w], PIL's luma (ITU-R 601-2). */
function luma(rgba: Uint8ClampedArray, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    out[p] = (19595 * rgba[4 * p] + 38470 * rgba[4 * p + 1] + 7471 * rgba[4 * p + 2] + 0x8000) >> 16;
  }
  return out;
}

/** Mean luma of the outermost row and column of pixels. */
export function borderMean(gray: Uint8Array, w: number, h: number): number {
  let s = 0;
  let n = 0;
  for (let x = 0; x < w; x++) { s += gray[x] + gray[(h - 1) * w + x]; n += 2; }
  for (let y = 1; y < h - 1; y++) { s += gray[y * w] + gray[y * w + w - 1]; n += 2; }
  return s / n;
}

/** A drawing (black on white, RGBA) -> white on black, cropped square around the ink; null when blank. */
export function fromDrawing(img: ImageData): RawImage | null {
  const { width: w, height: h } = img;
  const gray = luma(img.data, w * h);
  for (let p = 0; p < gray.length; p++) gray[p] = 255 - gray[p];
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x] > 32) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  // a square around the ink, 1/14 margin (Fashion-MNIST items nearly touch the frame), centred
  const side = Math.ceil(Math.max(x1 - x0 + 1, y1 - y0 + 1) * (1 + 2 / 28));
  const cx = (x0 + x1 + 1) / 2;
  const cy = (y0 + y1 + 1) / 2;
  const left = Math.round(cx - side / 2);
  const top = Math.round(cy - side / 2);
  const out = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < side; x++) {
      const sx = left + x;
      if (sx >= 0 && sx < w) out[y * side + x] = gray[sy * w + sx];
    }
  }
  return { data: out, width: side, height: side, channels: 1 };
}

/** A dropped image (RGBA) -> gray, inverted when its border is light; `inverted` says which. */
export function fromPicture(img: ImageData): { raw: RawImage; inverted: boolean } {
  const { width: w, height: h } = img;
  const gray = luma(img.data, w * h);
  const inverted = borderMean(gray, w, h) > 127;
  if (inverted) for (let p = 0; p < gray.length; p++) gray[p] = 255 - gray[p];
  return { raw: { data: gray, width: w, height: h, channels: 1 }, inverted };
}
