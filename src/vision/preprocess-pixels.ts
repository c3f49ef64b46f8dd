/**
 * Decoded pixels -> model input, as pure functions (browser-safe: no sharp, no node: imports). For a
 * PreprocessSpec:
 * - 'short-side': torchvision's Resize(s) + CenterCrop(H, W) on a PIL image, exactly: the long side becomes
 *   int(s * long / short) (torchvision 0.14 _compute_resized_output_size), resampled by Pillow's antialiased
 *   bilinear filter (resample.ts), then crop_top = int(round((h - H) / 2)) with Python's round (half to even);
 * - 'cover': scale so the image covers H x W, then centre-crop. At training time image folders do this with
 *   sharp (data/image-folder.ts), and loadImage (preprocess.ts) reuses that decode; here, without sharp, the
 *   geometry (sharp's sizes and centre offsets) is resampled with Pillow's filter: close to sharp's pixels, not
 *   identical (mean |difference| 0.2-4.5 levels on the committed photos; libvips upsamples differently).
 * Then ToTensor + Normalize in float32 as torch computes them: (fround(v / 255) - mean) / std.
 * Colour: 3-channel models get RGB (alpha dropped), 1-channel models PIL's luma, taken before the resize (as a
 * PIL pipeline that opens images with convert('L') does) in 'short-side' mode and after it in 'cover' mode
 * (as image-folder.ts does).
 */
import type { PreprocessSpec } from './preprocess-spec.js';
import { grayToRgb, rgbToLuma, toRgb, type RawImage } from './pixels.js';
import { resizeBilinearAA } from './resample.js';

export interface PreprocessedImage {
  /** [C, H, W] normalised, float32 */
  input: Float32Array;
  /** the pixels the model saw before normalisation, RGB HWC (gray replicated for 1-channel models), H x W */
  display: { data: Uint8Array; width: number; height: number };
}

/** Python 3's round(): to nearest, ties to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision 0.14 Resize(s) on a w x h image: [outW, outH]; the short side becomes s, the long int(s*long/short). */
export function shortSideSize(w: number, h: number, s: number): [number, number] {
  return w <= h ? [s, Math.trunc((s * h) / w)] : [Math.trunc((s * w) / h), s];
}

/** torchvision CenterCrop's offsets: [top, left] = int(round((h - H) / 2)), int(round((w - W) / 2)). */
export function centerCropOffsets(w: number, h: number, W: number, H: number): [number, number] {
  return [roundHalfEven((h - H) / 2), roundHalfEven((w - W) / 2)];
}

/** [h][w][c] -> the H x W window at (top, left). */
export function crop(src: Uint8Array, w: number, c: number, top: number, left: number, W: number, H: number): Uint8Array {
  const out = new Uint8Array(H * W * c);
  for (let y = 0; y < H; y++) {
    const s = ((top + y) * w + left) * c;
    out.set(src.subarray(s, s + W * c), y * W * c);
  }
  return out;
}

export function checkSpec(spec: PreprocessSpec): void {
  const [C, H, W] = spec.inputSize;
  if (C !== 1 && C !== 3) throw new Error(`preprocess: input size ${spec.inputSize.join('x')} has ${C} channels (1 or 3 supported)`);
  if (spec.mean.length !== C || spec.std.length !== C) throw new Error(`preprocess: mean/std have ${spec.mean.length}/${spec.std.length} values for ${C} channels`);
  if (spec.resize.mode === 'short-side' && spec.resize.shortSide < Math.max(H, W)) {
    throw new Error(`preprocess: resize short side ${spec.resize.shortSide} is smaller than the crop ${H}x${W}`);
  }
}

/**
 * Pixels of `C` channels ([H][W][C] uint8) -> ToTensor + Normalize, [C][H][W] float32, with torch's float32
 * rounding at each step (the division by 255, the subtraction, the division).
 */
export function normalize(hwc: Uint8Array, C: number, H: number, W: number, mean: number[], std: number[]): Float32Array {
  const out = new Float32Array(C * H * W);
  const plane = H * W;
  const m = Float32Array.from(mean);
  const s = Float32Array.from(std);
  const t = new Float32Array(1);
  // a channel's 256 possible results, computed once (the same floats): 16 images 34.3 -> 12.6 ms (bench/preprocess.ts)
  const lut = new Float32Array(256);
  for (let c = 0; c < C; c++) {
    for (let v = 0; v < 256; v++) {
      t[0] = v / 255;
      t[0] = t[0] - m[c];
      lut[v] = t[0] / s[c];
    }
    for (let p = 0; p < plane; p++) out[c * plane + p] = lut[hwc[p * C + c]];
  }
  return out;
}

/** Uint8 pixels at the input size ([H][W][C], C = the spec's) -> the model input and the display pixels. */
export function finish(pixels: Uint8Array, spec: PreprocessSpec): PreprocessedImage {
  const [C, H, W] = spec.inputSize;
  return {
    input: normalize(pixels, C, H, W, spec.mean, spec.std),
    display: { data: C === 1 ? grayToRgb(pixels) : pixels, width: W, height: H },
  };
}

/** Resized + cropped uint8 pixels ([H][W][C]) before normalisation, per the spec (see the header). */
export function resizeAndCrop(img: RawImage, spec: PreprocessSpec): Uint8Array {
  checkSpec(spec);
  const [C, H, W] = spec.inputSize;
  const { width: w, height: h } = img;
  const rgb = toRgb(img);
  if (spec.resize.mode === 'short-side') {
    const src = C === 1 ? rgbToLuma(rgb, w * h) : rgb;
    const [rw, rh] = shortSideSize(w, h, spec.resize.shortSide);
    const [top, left] = centerCropOffsets(rw, rh, W, H);
    return resizeBilinearAA(src, w, h, C, rw, rh, { left, top, width: W, height: H }); // = crop(resize(src))
  }
  const scale = Math.max(W / w, H / h);
  const rw = Math.max(W, Math.round(w * scale));
  const rh = Math.max(H, Math.round(h * scale));
  // sharp's centre gravity (CalculateCrop): (in - out + 1) / 2 in integers, so a half pixel rounds up
  const [top, left] = [Math.floor((rh - H + 1) / 2), Math.floor((rw - W + 1) / 2)];
  const cropped = resizeBilinearAA(rgb, w, h, 3, rw, rh, { left, top, width: W, height: H });
  return C === 1 ? rgbToLuma(cropped, W * H) : cropped;
}

/** Decoded pixels (RGBA from a canvas, RGB, gray) -> the model input [C, H, W] and what the model saw. */
export function preprocessPixels(img: RawImage, spec: PreprocessSpec): PreprocessedImage {
  return finish(resizeAndCrop(img, spec), spec);
}

/** "resize short side 256 + center crop 224x224" / "resize to cover 32x32 + center crop", for first lines. */
export function describePreprocessing(spec: PreprocessSpec): string {
  const [, H, W] = spec.inputSize;
  return spec.resize.mode === 'short-side'
    ? `resize short side ${spec.resize.shortSide} + center crop ${H}x${W}`
    : `resize to cover ${H}x${W} + center crop`;
}
