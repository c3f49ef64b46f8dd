/**
 * Argument checks shared by every backend's glue (reference, native, wasm): array lengths against the
 * geometry and the geometry against itself. Errors name the op, the argument and the shape, e.g.
 *   conv2d: x has 100 elements but geometry [cin=3,n=2,h=5,w=5] needs 150
 * Checks only; no math. A fast backend runs these before C sees a pointer.
 */
import { outSize, type ConvGeometry, type PoolGeometry } from './backend.js';

/** Named dimensions in storage order, e.g. { cin: 3, n: 2, h: 5, w: 5 }. */
export type Dims = Readonly<Record<string, number>>;

export function dimsStr(dims: Dims): string {
  return `[${Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(',')}]`;
}

function product(dims: Dims): number {
  let p = 1;
  for (const v of Object.values(dims)) p *= v;
  return p;
}

/** Throws unless arr has exactly prod(dims) elements; a null arr (an optional argument left out) passes. */
export function expectLength(op: string, name: string, arr: ArrayLike<number> | null, dims: Dims): void {
  if (arr === null) return;
  const need = product(dims);
  if (arr.length !== need) {
    throw new Error(`${op}: ${name} has ${arr.length} elements but geometry ${dimsStr(dims)} needs ${need}`);
  }
}

/** Throws unless arr has at least prod(dims) elements (elementwise ops over "the first size elements"). */
export function expectAtLeast(op: string, name: string, arr: ArrayLike<number>, dims: Dims): void {
  const need = product(dims);
  if (arr.length < need) {
    throw new Error(`${op}: ${name} has ${arr.length} elements but geometry ${dimsStr(dims)} needs at least ${need}`);
  }
}

/** Largest size or geometry value (int32: what the wasm and C kernels take; no array is longer). */
export const MAX_DIM = 2 ** 31 - 1;

/** Throws unless every named value is a non-negative integer (positive where `positive`) up to MAX_DIM. */
export function expectDims(op: string, dims: Dims, positive = true): void {
  for (const [k, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < (positive ? 1 : 0) || v > MAX_DIM) {
      throw new Error(`${op}: ${k}=${v} must be a ${positive ? 'positive' : 'non-negative'} integer up to 2^31-1 (geometry ${dimsStr(dims)})`);
    }
  }
}

export function convDims(g: ConvGeometry): { x: Dims; w: Dims; b: Dims; y: Dims } {
  return {
    x: { cin: g.cin, n: g.n, h: g.h, w: g.w },
    w: { cout: g.cout, cin: g.cin, kh: g.kh, kw: g.kw },
    b: { cout: g.cout },
    y: { cout: g.cout, n: g.n, ho: g.ho, wo: g.wo },
  };
}

/** Checks a convolution geometry is self-consistent (ho, wo follow from the rest). */
export function checkConvGeometry(op: string, g: ConvGeometry): void {
  expectDims(op, { n: g.n, cin: g.cin, h: g.h, w: g.w, cout: g.cout, kh: g.kh, kw: g.kw, stride: g.stride, ho: g.ho, wo: g.wo });
  expectDims(op, { pad: g.pad }, false);
  const ho = outSize(g.h, g.kh, g.stride, g.pad);
  const wo = outSize(g.w, g.kw, g.stride, g.pad);
  if (g.ho !== ho || g.wo !== wo) {
    throw new Error(`${op}: output [ho=${g.ho},wo=${g.wo}] does not match input [h=${g.h},w=${g.w}] with ` +
      `kernel ${g.kh}x${g.kw} stride ${g.stride} pad ${g.pad} (expected [ho=${ho},wo=${wo}])`);
  }
}

export function poolDims(g: PoolGeometry): { x: Dims; y: Dims } {
  return { x: { c: g.c, n: g.n, h: g.h, w: g.w }, y: { c: g.c, n: g.n, ho: g.ho, wo: g.wo } };
}

/** Checks a pooling geometry; like PyTorch, padding may be at most half the window. */
export function checkPoolGeometry(op: string, g: PoolGeometry): void {
  expectDims(op, { c: g.c, n: g.n, h: g.h, w: g.w, k: g.k, stride: g.stride, ho: g.ho, wo: g.wo });
  expectDims(op, { pad: g.pad }, false);
  if (2 * g.pad > g.k) throw new Error(`${op}: pad=${g.pad} must be at most half the window k=${g.k}`);
  const ho = outSize(g.h, g.k, g.stride, g.pad);
  const wo = outSize(g.w, g.k, g.stride, g.pad);
  if (g.ho !== ho || g.wo !== wo) {
    throw new Error(`${op}: output [ho=${g.ho},wo=${g.wo}] does not match input [h=${g.h},w=${g.w}] with ` +
      `window ${g.k} stride ${g.stride} pad ${g.pad} (expected [ho=${ho},wo=${wo}])`);
  }
}

/** Checks integer class labels lie in [0, k). */
export function expectLabels(op: string, labels: Int32Array, n: number, k: number): void {
  expectLength(op, 'labels', labels, { n });
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l < 0 || l >= k) throw new Error(`${op}: labels[${i}] = ${l} is outside [0, ${k})`);
  }
}
