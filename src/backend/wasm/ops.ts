/**
 * The wasm backend's forward ops: validate every length with the reference's own checks (same messages),
 * copy the inputs into the module's arena (convolution, pooling and linear: unless kept in linear memory,
 * WasmMemory.alloc), run the simd128 kernel, copy the outputs back (or write them in place).
 * Not here: instantiation and memory (module.ts), backward ops (backward.ts), math (csrc/).
 */
import type { Backend, ConvPre, F32, PoolGeometry } from '../backend.js';
import { checkConvArgs, checkConvPre } from '../reference/conv2d.js';
import { checkLinearArgs } from '../reference/linear.js';
import { checkPoolArgs } from '../reference/max-pool.js';
import { convDims, expectAtLeast, expectDims, expectLength } from '../validate.js';
import type { WasmInstance } from './module.js';

/** True when views a and b share bytes (an output aliasing an input the op must not overwrite). */
export function overlaps(a: F32, b: F32): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** The ops of `Backend` other than name, threads and backward. */
export type ForwardOps = Omit<Backend, 'name' | 'threads' | 'backward'>;

export function forwardOps({ exports: k, mem }: WasmInstance): ForwardOps {
  const pool = (op: 'maxPool2d' | 'avgPool2d', g: PoolGeometry, x: F32, y: F32, pre: ConvPre | null | undefined): void => {
    checkPoolArgs(op, g, x, y, pre);
    mem.reserve(op, x.length + y.length + (pre ? 2 * g.c : 0));
    const px = mem.input(x);
    // the kernel reads x through the transform (csrc/pool.c; padded cells follow the pooling's rule on x')
    const ps = pre ? mem.put(pre.scale) : 0;
    const pt = pre ? mem.put(pre.shift) : 0;
    const py = mem.output(y, x);
    const run = op === 'maxPool2d' ? k.dn_max_pool : k.dn_avg_pool;
    run(g.c, g.n, g.h, g.w, g.k, g.stride, g.pad, g.ho, g.wo, px, py, ps, pt, pre?.relu ? 1 : 0);
    mem.result(py, y);
  };

  return {
    gemm(transA, transB, m, n, kk, a, b, beta, c): void {
      const op = 'gemm';
      expectDims(op, { m, n, k: kk }, false);
      expectLength(op, 'a', a, transA ? { k: kk, m } : { m, k: kk });
      expectLength(op, 'b', b, transB ? { n, k: kk } : { k: kk, n });
      expectLength(op, 'c', c, { m, n });
      if (beta !== 0 && beta !== 1) throw new Error(`gemm: beta must be 0 or 1, got ${String(beta)}`);
      if (overlaps(c, a) || overlaps(c, b)) throw new Error('gemm: c must not overlap a or b');
      mem.reserve('gemm', a.length + b.length + c.length);
      const pa = mem.put(a);
      const pb = mem.put(b);
      const pc = beta === 1 ? mem.put(c) : mem.take(c.length);
      k.dn_gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, kk, pa, pb, beta, pc, mem.scratch);
      mem.get(pc, c);
    },

    conv2d(g, x, w, bias, y, pre): void {
      const op = 'conv2d';
      checkConvArgs(op, g, x, w);
      checkConvPre(op, g, pre);
      const d = convDims(g);
      expectLength(op, 'bias', bias, d.b);
      expectLength(op, 'y', y, d.y);
      if (overlaps(y, x) || overlaps(y, w)) throw new Error('conv2d: y must not overlap x or w');
      mem.reserve('conv2d', x.length + w.length + (bias?.length ?? 0) + y.length + (pre ? 2 * g.cin : 0));
      // x in place when kept in linear memory (WasmMemory.input), else copied; the kernel reads it through the
      // transform (B packing, im2col; padding pads x') and never writes it: no separate pass over the input as
      // before (an in-place scaleShift on the arena's copy)
      const px = mem.input(x);
      const ps = pre ? mem.put(pre.scale) : 0;
      const pt = pre ? mem.put(pre.shift) : 0;
      const pw = mem.input(w);
      const pb = bias === null ? 0 : mem.input(bias);
      const py = mem.output(y, x, w, bias);
      // Winograd only for this call when asked (ConvGeometry.winograd: eval mode); off again for every other call
      const wino = g.winograd === true && k.dn_set_winograd !== undefined;
      if (wino) k.dn_set_winograd!(1);
      try {
        k.dn_conv2d(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo, px, pw, pb, py, mem.scratch,
          ps, pt, pre?.relu ? 1 : 0);
      } finally {
        if (wino) k.dn_set_winograd!(0);
      }
      mem.result(py, y);
    },

    scaleShift(c, s, x, scale, shift, relu, y): void {
      const op = 'scaleShift';
      expectDims(op, { c, s }, false);
      expectLength(op, 'x', x, { c, s });
      expectLength(op, 'scale', scale, { c });
      expectLength(op, 'shift', shift, { c });
      expectLength(op, 'y', y, { c, s });
      mem.reserve('scaleShift', x.length + 2 * c);
      const px = mem.put(x); // computed in place: y may alias x
      const pa = mem.put(scale);
      const pb = mem.put(shift);
      k.dn_scale_shift(c, s, px, pa, pb, relu ? 1 : 0, px);
      mem.get(px, y);
    },

    channelStats(c, s, x, mean, variance): void {
      const op = 'channelStats';
      expectDims(op, { c, s });
      expectLength(op, 'x', x, { c, s });
      expectLength(op, 'mean', mean, { c });
      expectLength(op, 'variance', variance, { c });
      mem.reserve('channelStats', x.length + 2 * c);
      const px = mem.put(x);
      const pm = mem.take(c);
      const pv = mem.take(c);
      k.dn_channel_stats(c, s, px, pm, pv);
      mem.get(pm, mean);
      mem.get(pv, variance);
    },

    relu(size, x, y): void {
      expectDims('relu', { size }, false);
      expectAtLeast('relu', 'x', x, { size });
      expectAtLeast('relu', 'y', y, { size });
      mem.reserve('relu', size);
      const px = mem.put(x.subarray(0, size));
      k.dn_relu(size, px, px);
      mem.get(px, y.subarray(0, size));
    },

    maxPool2d(g, x, y, pre): void {
      pool('maxPool2d', g, x, y, pre);
    },

    avgPool2d(g, x, y, pre): void {
      pool('avgPool2d', g, x, y, pre);
    },

    globalAvgPool(c, n, hw, x, y): void {
      const op = 'globalAvgPool';
      expectDims(op, { c, n, hw });
      expectLength(op, 'x', x, { c, n, hw });
      expectLength(op, 'y', y, { n, c });
      mem.reserve('globalAvgPool', x.length + y.length);
      const px = mem.input(x);
      const py = mem.output(y, x);
      k.dn_global_avg_pool(c, n, hw, px, py);
      mem.result(py, y);
    },

    linear(n, inFeatures, outFeatures, x, w, b, y): void {
      const op = 'linear';
      checkLinearArgs(op, n, inFeatures, outFeatures, x, w);
      expectLength(op, 'b', b, { out: outFeatures });
      expectLength(op, 'y', y, { n, out: outFeatures });
      if (overlaps(y, x) || overlaps(y, w)) throw new Error('linear: y must not overlap x or w');
      mem.reserve('linear', x.length + w.length + (b?.length ?? 0) + y.length);
      const px = mem.input(x);
      const pw = mem.input(w);
      const pb = b === null ? 0 : mem.input(b);
      const py = mem.output(y, x, w, b);
      k.dn_linear(n, inFeatures, outFeatures, px, pw, pb, py, mem.scratch);
      mem.result(py, y);
    },

    softmax(n, kk, x, y): void {
      expectDims('softmax', { n, k: kk });
      expectLength('softmax', 'x', x, { n, k: kk });
      expectLength('softmax', 'y', y, { n, k: kk });
      mem.reserve('softmax', x.length);
      const px = mem.put(x);
      k.dn_softmax(n, kk, px, px);
      mem.get(px, y);
    },

    dropout(size, x, keep, p, y): void {
      const op = 'dropout';
      expectDims(op, { size }, false);
      if (!(p >= 0 && p < 1)) throw new Error(`dropout: p=${p} must be in [0, 1)`);
      expectAtLeast(op, 'x', x, { size });
      expectAtLeast(op, 'keep', keep, { size });
      expectAtLeast(op, 'y', y, { size });
      mem.reserve('dropout', size + Math.ceil(size / 4));
      const px = mem.put(x.subarray(0, size));
      const pk = mem.putBytes(keep.subarray(0, size));
      k.dn_dropout(size, px, pk, 1 - p, px);
      mem.get(px, y.subarray(0, size));
    },
  };
}
