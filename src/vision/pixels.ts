/**
 * Decoded pixels as plain arrays (browser-safe: no sharp, no node: imports) and the two colour conversions a
 * model input needs, as PIL does them: RGB (alpha dropped, gray replicated: Image.convert('RGB')) and luma
 * (Image.convert('L'), ITU-R 601-2: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 in Pillow 9.4's Convert.c,
 * i.e. R*299/1000 + G*587/1000 + B*114/1000 rounded to nearest; checked against Pillow on 100k random colours).
 */

/** Interleaved uint8 pixels, [height][width][channels]; channels 1 (gray), 2 (gray+alpha), 3 (RGB), 4 (RGBA). */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

function check(img: RawImage, fn: string): void {
  const { width: w, height: h, channels: c } = img;
  if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0)) throw new Error(`${fn}: bad image size ${w}x${h}`);
  if (![1, 2, 3, 4].includes(c)) throw new Error(`${fn}: ${c} channels (expected 1, 2, 3 or 4)`);
  if (img.data.length !== w * h * c) throw new Error(`${fn}: ${img.data.length} bytes for ${w}x${h}x${c} (needs ${w * h * c})`);
}

/** PIL convert('RGB'): alpha dropped (not composited), gray replicated. Returns [h][w][3]. */
export function toRgb(img: RawImage): Uint8Array {
  check(img, 'toRgb');
  const { data, channels: c } = img;
  const n = img.width * img.height;
  if (c === 3) return data instanceof Uint8Array ? data : new Uint8Array(data);
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const s = p * c;
    if (c >= 3) {
      out[3 * p] = data[s];
      out[3 * p + 1] = data[s + 1];
      out[3 * p + 2] = data[s + 2];
    } else {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[s];
    }
  }
  return out;
}

/** PIL convert('L') of an RGB image: rgb [n][3] -> [n]. */
export function rgbToLuma(rgb: Uint8Array, n: number): Uint8Array {
  if (rgb.length !== n * 3) throw new Error(`rgbToLuma: ${rgb.length} bytes for ${n} RGB pixels`);
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = (rgb[3 * p] * 19595 + rgb[3 * p + 1] * 38470 + rgb[3 * p + 2] * 7471 + 0x8000) >> 16;
  return out;
}

/** Gray [n] -> RGB [n][3] (for showing a 1-channel input). */
export function grayToRgb(gray: Uint8Array): Uint8Array {
  const out = new Uint8Array(gray.length * 3);
  for (let p = 0; p < gray.length; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = gray[p];
  return out;
}
