/**
 * The native backend: TypeScript glue for the N-API addon built from csrc/ (scripts/build-native.mjs).
 * Every call is checked here without allocating (lengths against the geometry, no aliasing where the op
 * forbids it); on a mismatch the shared validate.ts helpers throw the same message as the reference
 * backend. Float32Array views go to C as they are (their byte offset included). Not here: any math.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Backend, ConvGeometry, ConvPre, F32, PoolGeometry } from '../backend.js';
import { checkConvGeometry, convDims, expectAtLeast, expectDims, expectLength } from '../validate.js';
import { checkConvPre } from '../reference/conv2d.js';
import { checkPoolArgs } from '../reference/max-pool.js';
import { makeBackward, type AddonBackward } from './backward.js';
import { checkFmaPeak, checkIsa, checkThreads, convGeomOk, dim, overlaps, poolOk, reject } from './checks.js';
import { addonCandidates } from './platform.js';

/** Instruction sets the addon may be built for (csrc/common.h). */
export type NativeIsa = 'avx512' | 'avx2' | 'sse2' | 'neon' | 'generic';

/** The native backend plus its controls (for tests and benchmarks). */
export interface NativeBackend extends Backend {
  /** The instruction set in use. */
  readonly isa: NativeIsa;
  /** Instruction sets this CPU can run, best first. */
  readonly isas: readonly NativeIsa[];
  /** Switches to another instruction set this CPU runs (env DENSENET_ISA does the same at load). */
  setIsa(isa: NativeIsa): void;
  /** Threads used by large ops, 1..64 (env DENSENET_THREADS sets the initial count). */
  setThreads(n: number): void;
  /**
   * Benchmarks only: `iters` rounds of register-only FMAs on each of `threads` threads (csrc/fma_peak.c);
   * returns the floating-point operations done, to divide by the wall time for the machine's FMA peak.
   */
  fmaPeak(iters: number, threads: number): number;
}

/** The addon's exports (csrc/addon.c). Geometry is passed as plain numbers. */
interface Addon extends AddonBackward {
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: F32, b: F32, beta: number, c: F32): void;
  conv2d(n: number, cin: number, h: number, w: number, cout: number, kh: number, kw: number, stride: number, pad: number,
    ho: number, wo: number, x: F32, weight: F32, bias: F32 | null, y: F32,
    preScale?: F32 | null, preShift?: F32, preRelu?: boolean, winograd?: boolean): void;
  linear(n: number, inF: number, outF: number, x: F32, w: F32, b: F32 | null, y: F32): void;
  scaleShift(c: number, s: number, x: F32, scale: F32, shift: F32, relu: boolean, y: F32): void;
  channelStats(c: number, s: number, x: F32, mean: F32, variance: F32): void;
  relu(size: number, x: F32, y: F32): void;
  dropout(size: number, x: F32, keep: Uint8Array, p: number, y: F32): void;
  maxPool2d(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number, wo: number, x: F32, y: F32,
    preScale?: F32 | null, preShift?: F32, preRelu?: boolean): void;
  avgPool2d: Addon['maxPool2d'];
  globalAvgPool(c: number, n: number, hw: number, x: F32, y: F32): void;
  softmax(n: number, k: number, x: F32, y: F32): void;
  isa(): string;
  isas(): string;
  threads(): number;
  setIsa(isa: string): void;
  setThreads(n: number): void;
  fmaPeak(iters: number, threads: number): number;
}

function convOk(g: ConvGeometry, x: F32, w: F32, bias: F32 | null, y: F32): boolean {
  return convGeomOk(g, x, w) && (bias === null || bias.length === g.cout) && y.length === g.cout * g.n * g.ho * g.wo;
}

function makeBackend(addon: Addon): NativeBackend {
  const isas = addon.isas().split(',').filter((s) => s.length > 0) as NativeIsa[];
  const pool = (op: 'maxPool2d' | 'avgPool2d', g: PoolGeometry, x: F32, y: F32, pre: ConvPre | null | undefined): void => {
    if (!poolOk(g, x, y) || (pre && !(pre.scale.length === g.c && pre.shift.length === g.c))) {
      reject(op, () => checkPoolArgs(op, g, x, y, pre));
    }
    if (pre) addon[op](g.c, g.n, g.h, g.w, g.k, g.stride, g.pad, g.ho, g.wo, x, y, pre.scale, pre.shift, pre.relu);
    else addon[op](g.c, g.n, g.h, g.w, g.k, g.stride, g.pad, g.ho, g.wo, x, y);
  };
  return {
    name: 'native',
    get threads(): number {
      return addon.threads();
    },
    get isa(): NativeIsa {
      return addon.isa() as NativeIsa;
    },
    isas,
    setIsa(isa: NativeIsa): void {
      checkIsa(isa, isas);
      addon.setIsa(isa);
    },
    setThreads(n: number): void {
      checkThreads('setThreads', n);
      addon.setThreads(n);
    },
    fmaPeak(iters: number, threads: number): number {
      checkFmaPeak(iters, threads);
      return addon.fmaPeak(iters, threads);
    },

    gemm(transA, transB, m, n, k, a, b, beta, c): void {
      const op = 'gemm';
      if (!(dim(m, false) && dim(n, false) && dim(k, false) && a.length === m * k && b.length === k * n &&
        c.length === m * n && (beta === 0 || beta === 1))) {
        reject(op, () => {
          expectDims(op, { m, n, k }, false);
          expectLength(op, 'a', a, transA ? { k, m } : { m, k });
          expectLength(op, 'b', b, transB ? { n, k } : { k, n });
          expectLength(op, 'c', c, { m, n });
          throw new Error(`gemm: beta must be 0 or 1, got ${beta}`);
        });
      }
      if (overlaps(c, a) || overlaps(c, b)) throw new Error('gemm: c must not overlap a or b');
      addon.gemm(transA, transB, m, n, k, a, b, beta, c);
    },

    conv2d(g, x, w, bias, y, pre): void {
      const op = 'conv2d';
      if (pre && !(pre.scale.length === g.cin && pre.shift.length === g.cin)) reject(op, () => checkConvPre(op, g, pre));
      if (!convOk(g, x, w, bias, y)) {
        reject(op, () => {
          checkConvGeometry(op, g);
          const d = convDims(g);
          expectLength(op, 'x', x, d.x);
          expectLength(op, 'w', w, d.w);
          expectLength(op, 'bias', bias, d.b);
          expectLength(op, 'y', y, d.y);
        });
      }
      if (overlaps(y, x) || overlaps(y, w)) throw new Error('conv2d: y must not overlap x or w');
      if (pre) addon.conv2d(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo, x, w, bias, y, pre.scale, pre.shift, pre.relu, g.winograd === true);
      else if (g.winograd) addon.conv2d(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo, x, w, bias, y, null, undefined, undefined, true);
      else addon.conv2d(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo, x, w, bias, y);
    },

    scaleShift(c, s, x, scale, shift, relu, y): void {
      const op = 'scaleShift';
      if (!(dim(c, false) && dim(s, false) && x.length === c * s && scale.length === c && shift.length === c && y.length === c * s)) {
        reject(op, () => {
          expectDims(op, { c, s }, false);
          expectLength(op, 'x', x, { c, s });
          expectLength(op, 'scale', scale, { c });
          expectLength(op, 'shift', shift, { c });
          expectLength(op, 'y', y, { c, s });
        });
      }
      addon.scaleShift(c, s, x, scale, shift, relu, y);
    },

    channelStats(c, s, x, mean, variance): void {
      const op = 'channelStats';
      if (!(dim(c, true) && dim(s, true) && x.length === c * s && mean.length === c && variance.length === c)) {
        reject(op, () => {
          expectDims(op, { c, s });
          expectLength(op, 'x', x, { c, s });
          expectLength(op, 'mean', mean, { c });
          expectLength(op, 'variance', variance, { c });
        });
      }
      addon.channelStats(c, s, x, mean, variance);
    },

    relu(size, x, y): void {
      if (!(dim(size, false) && x.length >= size && y.length >= size)) {
        reject('relu', () => {
          expectDims('relu', { size }, false);
          expectAtLeast('relu', 'x', x, { size });
          expectAtLeast('relu', 'y', y, { size });
        });
      }
      addon.relu(size, x, y);
    },

    maxPool2d(g, x, y, pre): void {
      pool('maxPool2d', g, x, y, pre);
    },

    avgPool2d(g, x, y, pre): void {
      pool('avgPool2d', g, x, y, pre);
    },

    globalAvgPool(c, n, hw, x, y): void {
      const op = 'globalAvgPool';
      if (!(dim(c, true) && dim(n, true) && dim(hw, true) && x.length === c * n * hw && y.length === n * c)) {
        reject(op, () => {
          expectDims(op, { c, n, hw });
          expectLength(op, 'x', x, { c, n, hw });
          expectLength(op, 'y', y, { n, c });
        });
      }
      addon.globalAvgPool(c, n, hw, x, y);
    },

    linear(n, inFeatures, outFeatures, x, w, b, y): void {
      const op = 'linear';
      if (!(dim(n, true) && dim(inFeatures, true) && dim(outFeatures, true) && x.length === n * inFeatures &&
        w.length === outFeatures * inFeatures && (b === null || b.length === outFeatures) && y.length === n * outFeatures)) {
        reject(op, () => {
          expectDims(op, { n, inFeatures, outFeatures });
          expectLength(op, 'x', x, { n, in: inFeatures });
          expectLength(op, 'w', w, { out: outFeatures, in: inFeatures });
          expectLength(op, 'b', b, { out: outFeatures });
          expectLength(op, 'y', y, { n, out: outFeatures });
        });
      }
      if (overlaps(y, x) || overlaps(y, w)) throw new Error('linear: y must not overlap x or w');
      addon.linear(n, inFeatures, outFeatures, x, w, b, y);
    },

    softmax(n, k, x, y): void {
      if (!(dim(n, true) && dim(k, true) && x.length === n * k && y.length === n * k)) {
        reject('softmax', () => {
          expectDims('softmax', { n, k });
          expectLength('softmax', 'x', x, { n, k });
          expectLength('softmax', 'y', y, { n, k });
        });
      }
      addon.softmax(n, k, x, y);
    },

    dropout(size, x, keep, p, y): void {
      const op = 'dropout';
      if (!(dim(size, false) && p >= 0 && p < 1 && x.length >= size && keep.length >= size && y.length >= size)) {
        reject(op, () => {
          expectDims(op, { size }, false);
          if (!(p >= 0 && p < 1)) throw new Error(`dropout: p=${p} must be in [0, 1)`);
          expectAtLeast(op, 'x', x, { size });
          expectAtLeast(op, 'keep', keep, { size });
          expectAtLeast(op, 'y', y, { size });
        });
      }
      addon.dropout(size, x, keep, p, y);
    },

    backward: makeBackward(addon),
  };
}

let loaded: NativeBackend | null = null;

/** Loads the addon once; throws an Error saying why when it is not built or does not load. */
export function loadNative(): NativeBackend {
  if (loaded) return loaded;
  // each candidate that is missing or does not load adds one line to the error: why it was passed over
  const misses: string[] = [];
  for (const { file, kind } of addonCandidates()) {
    if (!existsSync(file)) {
      misses.push(`no ${kind} ${file}`);
      continue;
    }
    try {
      loaded = makeBackend(createRequire(import.meta.url)(file) as Addon);
      return loaded;
    } catch (e) {
      misses.push(`${kind} ${file} failed to load: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`native addon not available (${misses.join('; ')}; build it with \`node scripts/build-native.mjs\`)`);
}
