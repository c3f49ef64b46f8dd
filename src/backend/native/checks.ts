/**
 * Allocation-free argument checks shared by the native glue's forward (index.ts) and backward (backward.ts)
 * ops: each returns true when every length fits the geometry; on false the caller runs the shared
 * validate.ts helpers, which throw the same message as the reference backend. Not here: any math.
 */
import { outSize, type ConvGeometry, type F32, type PoolGeometry } from '../backend.js';
import { MAX_DIM } from '../validate.js';

// MAX_DIM bounds every size passed to C: a size of 2^40 with a zero-length partner would otherwise pass the
// length checks (2^40 x 0 = 0) and reach a kernel that loops over it.
export const dim = (v: number, positive: boolean): boolean => Number.isInteger(v) && v >= (positive ? 1 : 0) && v <= MAX_DIM;

/** The addon's thread pool holds 1..64 threads (csrc/threadpool.h DN_MAX_THREADS). */
export const MAX_THREADS = 64;

export function checkThreads(op: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_THREADS)) throw new RangeError(`${op}: the thread count must be an integer in [1, ${MAX_THREADS}], got ${n}`);
}

/** An instruction set this CPU runs (the addon's own list), not any string. */
export function checkIsa(isa: string, isas: readonly string[]): void {
  if (typeof isa !== 'string' || !isas.includes(isa)) throw new Error(`setIsa: '${String(isa)}' is not one of this CPU's instruction sets (${isas.join(', ')})`);
}

/** fmaPeak(iters, threads): iters a non-negative integer up to 2^40 (minutes of work), threads as setThreads. */
export function checkFmaPeak(iters: number, threads: number): void {
  if (!(Number.isInteger(iters) && iters >= 0 && iters <= 2 ** 40)) throw new RangeError(`fmaPeak: iters must be an integer in [0, 2^40], got ${iters}`);
  checkThreads('fmaPeak', threads);
}

/** True when views a and b share bytes (an output aliasing an input the op must not overwrite). */
export function overlaps(a: F32, b: F32): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Geometry consistent with itself; x and w sized for it. */
export function convGeomOk(g: ConvGeometry, x: F32, w: F32): boolean {
  return dim(g.n, true) && dim(g.cin, true) && dim(g.h, true) && dim(g.w, true) && dim(g.cout, true) &&
    dim(g.kh, true) && dim(g.kw, true) && dim(g.stride, true) && dim(g.pad, false) &&
    g.ho === outSize(g.h, g.kh, g.stride, g.pad) && g.wo === outSize(g.w, g.kw, g.stride, g.pad) && g.ho >= 1 && g.wo >= 1 &&
    x.length === g.cin * g.n * g.h * g.w && w.length === g.cout * g.cin * g.kh * g.kw;
}

/** Pool geometry consistent with itself; x [c][n][h][w] (null: not passed) and y [c][n][ho][wo] sized for it. */
export function poolOk(g: PoolGeometry, x: F32 | null, y: F32): boolean {
  return dim(g.c, true) && dim(g.n, true) && dim(g.h, true) && dim(g.w, true) && dim(g.k, true) && dim(g.stride, true) &&
    dim(g.pad, false) && 2 * g.pad <= g.k && g.ho === outSize(g.h, g.k, g.stride, g.pad) &&
    g.wo === outSize(g.w, g.k, g.stride, g.pad) && g.ho >= 1 && g.wo >= 1 &&
    (x === null || x.length === g.c * g.n * g.h * g.w) && y.length === g.c * g.n * g.ho * g.wo;
}

/** Slow path after a failed fast check: the shared helpers throw the detailed message; this is the backstop. */
export function reject(op: string, check: () => void): never {
  check();
  throw new Error(`${op}: invalid arguments`);
}

/** Throws unless each output overlaps none of the inputs (null entries are skipped). */
export function expectNoOverlap(op: string, outputs: readonly [string, F32 | null][], inputs: readonly [string, F32 | null][]): void {
  for (const [on, o] of outputs) {
    if (o === null) continue;
    for (const [inName, i] of inputs) {
      if (i !== null && overlaps(o, i)) throw new Error(`${op}: ${on} must not overlap ${inName}`);
    }
  }
}
