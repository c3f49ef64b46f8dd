/**
 * Pillow's antialiased bilinear resize of 8-bit images (Image.resize(size, BILINEAR), which torchvision's
 * Resize calls for PIL images), reimplemented to give the same bytes. After Pillow's src/libImaging/Resample.c
 * (ImagingResampleInner, precompute_coeffs, normalize_coeffs_8bpc, ImagingResample{Horizontal,Vertical}_8bpc):
 * - separable: a horizontal pass over the rows the vertical pass will read, then a vertical pass, each rounded
 *   to uint8 (so the result is not the exact 2-D filter; it is Pillow's);
 * - the triangle filter's support is 1 output pixel, widened by the downscale factor (antialiasing: every
 *   source pixel under the footprint contributes); upscaling keeps support 1 (plain bilinear);
 * - weights are computed in double, normalised to sum 1, then turned into fixed point with 22 fraction bits
 *   (round half away from zero) and accumulated in integers from 1 << 21 (rounding), clamped to 0..255.
 * A pass whose size does not change is skipped, as in Pillow. Browser-safe (no imports). Not other filters.
 */

const PRECISION_BITS = 22; // 32 - 8 - 2, Pillow's

interface Coeffs {
  /** taps per output pixel (the row stride of `k`) */
  ksize: number;
  /** first source index of each output pixel */
  start: Int32Array;
  /** number of source pixels of each output pixel */
  count: Int32Array;
  /** fixed-point weights, [out][ksize] */
  k: Int32Array;
}

/** Weights for resampling `inSize` source pixels to `outSize` (Pillow's precompute_coeffs, box 0..inSize). */
function coeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support 1.0, scaled
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const inv = 1 / filterScale;
    // (int)(x + 0.5) in C truncates toward zero; Math.trunc does the same for the negative values near 0
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * inv);
      w[x] = t < 1 ? 1 - t : 0;
      sum += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = sum !== 0 ? w[x] / sum : w[x];
      // normalize_coeffs_8bpc: (int)(0.5 + v * 2^22), or (int)(-0.5 + ...) for negative weights
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, k };
}

/** Pillow's clip8: the accumulator's integer part, clamped to 0..255. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The part of the resized image to compute: columns [left, left + width), rows [top, top + height). */
export interface ResizeWindow { left: number; top: number; width: number; height: number }

/**
 * src: [h][w][c] uint8 -> [outH][outW][c] uint8, as PIL's Image.resize((outW, outH), Image.BILINEAR) on an image
 * of c 8-bit bands; with `win`, only that window of it, [win.height][win.width][c] (the same bytes as cropping the
 * whole result: each output pixel has its own weights). A centre crop of 224 from a 256 resize computes half the
 * pixels: resize+crop of 16 photos, torchvision's preset, 92.8 -> 42.9 ms (node --import tsx bench/preprocess.ts
 * --baseline <checkout before>; two earlier runs 78.7/100.6 -> 52.3/53.8).
 */
export function resizeBilinearAA(
  src: Uint8Array, w: number, h: number, c: number, outW: number, outH: number,
  win: ResizeWindow = { left: 0, top: 0, width: outW, height: outH },
): Uint8Array {
  if (src.length !== w * h * c) throw new Error(`resizeBilinearAA: ${src.length} bytes for ${w}x${h}x${c}`);
  if (!(Number.isInteger(outW) && outW > 0 && Number.isInteger(outH) && outH > 0)) throw new Error(`resizeBilinearAA: bad output size ${outW}x${outH}`);
  const { left, top, width: W, height: H } = win;
  if (![left, top, W, H].every(Number.isInteger) || left < 0 || top < 0 || W < 1 || H < 1 || left + W > outW || top + H > outH) {
    throw new Error(`resizeBilinearAA: window ${W}x${H} at (${left}, ${top}) is not inside ${outW}x${outH}`);
  }
  const outLen = W * c;
  if (outW === w && outH === h) {
    const out = new Uint8Array(H * outLen);
    for (let y = 0; y < H; y++) out.set(src.subarray(((top + y) * w + left) * c, ((top + y) * w + left) * c + outLen), y * outLen);
    return out;
  }
  const half = 1 << (PRECISION_BITS - 1);
  const vert = coeffs(h, outH);
  // rows of the source the vertical pass reads for output rows [top, top + H) (Pillow's ybox_first/ybox_last)
  const y0 = outH === h ? top : vert.start[top];
  const y1 = outH === h ? top + H : vert.start[top + H - 1] + vert.count[top + H - 1];
  let rows = src;
  let rowOffset = 0; // source row of rows[0]
  let rowLen = w * c; // bytes per row of `rows`
  let colOffset = left * c; // byte of the window's first column in a row of `rows`
  if (outW !== w) {
    const hor = coeffs(w, outW);
    rows = new Uint8Array((y1 - y0) * outLen);
    horizontalPass(src, w * c, y0, y1, c, hor, left, W, rows);
    rowOffset = y0;
    rowLen = outLen;
    colOffset = 0;
  }
  if (outH === h) return rows; // the horizontal pass covered exactly rows [top, top + H)
  const out = new Uint8Array(H * outLen);
  // row by row: each tap adds one whole source row (sequential reads) into the accumulator row
  const acc = new Int32Array(outLen);
  for (let yy = 0; yy < H; yy++) {
    const s0 = vert.start[top + yy] - rowOffset;
    const cnt = vert.count[top + yy];
    const kb = (top + yy) * vert.ksize;
    acc.fill(half);
    for (let y = 0; y < cnt; y++) {
      const k = vert.k[kb + y];
      const base = (s0 + y) * rowLen + colOffset;
      for (let i = 0; i < outLen; i++) acc[i] += rows[base + i] * k;
    }
    const o = yy * outLen;
    for (let i = 0; i < outLen; i++) out[o + i] = clip8(acc[i]);
  }
  return out;
}

/**
 * Pillow's horizontal pass over source rows [y0, y1) (rowLen bytes each) into `rows` ([y1 - y0][W][c]), output
 * columns [left, left + W). Three bands (RGB, the common case) keep one accumulator per band, so each tap's
 * weight is read once; the sums are the same integers as band by band.
 */
function horizontalPass(src: Uint8Array, rowLen: number, y0: number, y1: number, c: number, hor: Coeffs, left: number, W: number, rows: Uint8Array): void {
  const half = 1 << (PRECISION_BITS - 1);
  const { start, count, k, ksize } = hor;
  let o = 0;
  for (let y = y0; y < y1; y++) {
    const sRow = y * rowLen;
    for (let xx = left; xx < left + W; xx++) {
      const cnt = count[xx];
      const kb = xx * ksize;
      let p = sRow + start[xx] * c;
      if (c === 3) {
        let a0 = half, a1 = half, a2 = half;
        for (let x = 0; x < cnt; x++, p += 3) {
          const kk = k[kb + x];
          a0 += src[p] * kk;
          a1 += src[p + 1] * kk;
          a2 += src[p + 2] * kk;
        }
        rows[o] = clip8(a0);
        rows[o + 1] = clip8(a1);
        rows[o + 2] = clip8(a2);
        o += 3;
        continue;
      }
      for (let ch = 0; ch < c; ch++, o++) {
        let acc = half;
        for (let x = 0; x < cnt; x++) acc += src[p + x * c + ch] * k[kb + x];
        rows[o] = clip8(acc);
      }
    }
  }
}
