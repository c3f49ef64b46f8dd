/**
 * The wasm backend's backward ops (training): the reference's checks (same messages), then the kernels of
 * csrc/wasm_backward.c on copies in the module's arena. Accumulating outputs (conv dx, batch-norm dx) are
 * copied in as well as out. softmaxCrossEntropy is the reference's float64 TypeScript (O(n*k), not worth C).
 */
import type { BackwardOps, F32, PoolGeometry } from '../backend.js';
import { checkConvArgs, checkConvPre } from '../reference/conv2d.js';
import { checkLinearArgs } from '../reference/linear.js';
import { checkPoolArgs } from '../reference/max-pool.js';
import { softmaxCrossEntropy } from '../reference/softmax-cross-entropy.js';
import { convDims, expectAtLeast, expectDims, expectLength, poolDims } from '../validate.js';
import type { KernelExports, WasmInstance } from './module.js';

/** Backward kernels exported by csrc/wasm_backward.c. */
export interface BackwardExports {
  dn_conv2d_backward(n: number, cin: number, h: number, w: number, cout: number, kh: number, kw: number, stride: number,
    pad: number, ho: number, wo: number, x: number, weight: number, dy: number, dx: number, dw: number, db: number,
    col: number, chunk: number, scratch: number): void;
  dn_batch_norm_backward(c: number, s: number, x: number, mean: number, invStd: number, gamma: number, beta: number,
    relu: number, dy: number, dx: number, dgamma: number, dbeta: number, overwrite: number): void;
  dn_relu_backward(size: number, y: number, dy: number, dx: number): void;
  dn_max_pool_backward(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number,
    wo: number, x: number, dy: number, dx: number): void;
  dn_avg_pool_backward(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number,
    wo: number, dy: number, dx: number): void;
  dn_global_avg_pool_backward(c: number, n: number, hw: number, dy: number, dx: number): void;
  dn_linear_backward(n: number, inF: number, outF: number, x: number, w: number, dy: number, dx: number, dw: number,
    db: number, scratch: number): void;
}

/** Floats of im2col buffer per convolution-backward chunk (8 MiB: stays in cache, bounds memory). */
const COL_FLOATS = 1 << 21;

export function hasBackward(k: KernelExports): k is KernelExports & BackwardExports {
  return 'dn_conv2d_backward' in k && 'dn_linear_backward' in k;
}

export function backwardOps(k: KernelExports & BackwardExports, { mem }: WasmInstance): BackwardOps {
  const geom = (g: PoolGeometry): [number, number, number, number, number, number, number, number, number] =>
    [g.c, g.n, g.h, g.w, g.k, g.stride, g.pad, g.ho, g.wo];
  return {
    conv2d(g, x, w, dy, dx, dw, db, pre, overwriteDx): void {
      const op = 'conv2d backward';
      checkConvArgs(op, g, x, w);
      checkConvPre(op, g, pre);
      const d = convDims(g);
      expectLength(op, 'dy', dy, d.y);
      expectLength(op, 'dx', dx, d.x);
      expectLength(op, 'dw', dw, d.w);
      expectLength(op, 'db', db, d.b);
      const cols = g.n * g.ho * g.wo;
      const kdim = g.cin * g.kh * g.kw;
      const direct = g.kh === 1 && g.kw === 1 && g.stride === 1 && g.pad === 0;
      const chunk = Math.max(1, Math.min(cols, Math.floor(COL_FLOATS / kdim)));
      const colFloats = direct || (dx === null && dw === null) ? 0 : kdim * chunk;
      const usePre = pre && dw !== null; // only dw reads x
      mem.reserve('conv2d backward', x.length + w.length + dy.length + (dx?.length ?? 0) + (dw?.length ?? 0) + (db?.length ?? 0) + colFloats +
        (usePre ? 2 * g.cin : 0), 10);
      const px = mem.put(x);
      // dw from x' = pre(x): the transform in place on the arena's copy of x (dx is w.r.t. x', unchanged)
      if (usePre) k.dn_scale_shift(g.cin, g.n * g.h * g.w, px, mem.put(pre.scale), mem.put(pre.shift), pre.relu ? 1 : 0, px);
      const pw = mem.put(w);
      const pdy = mem.put(dy);
      const pdx = dx === null ? 0 : overwriteDx ? mem.zeros(dx.length) : mem.put(dx); // accumulated into
      const pdw = dw === null ? 0 : mem.take(dw.length);
      const pdb = db === null ? 0 : mem.take(db.length);
      const pcol = mem.take(colFloats);
      k.dn_conv2d_backward(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo,
        px, pw, pdy, pdx, pdw, pdb, pcol, chunk, mem.scratch);
      if (dx !== null) mem.get(pdx, dx);
      if (dw !== null) mem.get(pdw, dw);
      if (db !== null) mem.get(pdb, db);
    },

    batchNorm(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dgamma, dbeta, overwriteDx): void {
      const op = 'batchNorm backward';
      expectDims(op, { c, s });
      for (const [name, arr] of [['x', x], ['dy', dy], ['dx', dx]] as const) expectLength(op, name, arr, { c, s });
      const vecs = [['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta], ['dgamma', dgamma], ['dbeta', dbeta]] as const;
      for (const [name, arr] of vecs) expectLength(op, name, arr, { c });
      mem.reserve('batchNorm backward', 3 * c * s + 6 * c, 12);
      const px = mem.put(x);
      const pdy = mem.put(dy);
      const pdx = overwriteDx === true ? mem.take(c * s) : mem.put(dx); // accumulated into unless overwritten
      const pm = mem.put(mean);
      const pi = mem.put(invStd);
      const pg = mem.put(gamma);
      const pb = mem.put(beta);
      const pdg = mem.take(c);
      const pdb = mem.take(c);
      k.dn_batch_norm_backward(c, s, px, pm, pi, pg, pb, relu ? 1 : 0, pdy, pdx, pdg, pdb, overwriteDx === true ? 1 : 0);
      mem.get(pdx, dx);
      mem.get(pdg, dgamma);
      mem.get(pdb, dbeta);
    },

    relu(size, y, dy, dx): void {
      const op = 'relu backward';
      expectDims(op, { size }, false);
      expectAtLeast(op, 'y', y, { size });
      expectAtLeast(op, 'dy', dy, { size });
      expectAtLeast(op, 'dx', dx, { size });
      mem.reserve('relu backward', 2 * size);
      const py = mem.put(y.subarray(0, size));
      const pdy = mem.put(dy.subarray(0, size));
      k.dn_relu_backward(size, py, pdy, pdy); // in place: dx may alias dy
      mem.get(pdy, dx.subarray(0, size));
    },

    maxPool2d(g, x, dy, dx): void {
      const op = 'maxPool2d backward';
      checkPoolArgs(op, g, x, dy);
      expectLength(op, 'dx', dx, poolDims(g).x);
      mem.reserve(op, x.length + dy.length + dx.length);
      const px = mem.put(x);
      const pdy = mem.put(dy);
      const pdx = mem.take(dx.length);
      k.dn_max_pool_backward(...geom(g), px, pdy, pdx);
      mem.get(pdx, dx);
    },

    avgPool2d(g, dy, dx): void {
      const op = 'avgPool2d backward';
      checkPoolArgs(op, g, null, dy);
      expectLength(op, 'dx', dx, poolDims(g).x);
      mem.reserve('avgPool backward', dy.length + dx.length);
      const pdy = mem.put(dy);
      const pdx = mem.take(dx.length);
      k.dn_avg_pool_backward(...geom(g), pdy, pdx);
      mem.get(pdx, dx);
    },

    globalAvgPool(c, n, hw, dy, dx): void {
      const op = 'globalAvgPool backward';
      expectDims(op, { c, n, hw });
      expectLength(op, 'dy', dy, { n, c });
      expectLength(op, 'dx', dx, { c, n, hw });
      mem.reserve('globalAvgPool backward', dy.length + dx.length);
      const pdy = mem.put(dy);
      const pdx = mem.take(dx.length);
      k.dn_global_avg_pool_backward(c, n, hw, pdy, pdx);
      mem.get(pdx, dx);
    },

    linear(n, inFeatures, outFeatures, x, w, dy, dx, dw, db): void {
      const op = 'linear backward';
      checkLinearArgs(op, n, inFeatures, outFeatures, x, w);
      expectLength(op, 'dy', dy, { n, out: outFeatures });
      expectLength(op, 'dx', dx, { n, in: inFeatures });
      expectLength(op, 'dw', dw, { out: outFeatures, in: inFeatures });
      expectLength(op, 'db', db, { out: outFeatures });
      mem.reserve('linear backward', 2 * x.length + 2 * w.length + dy.length + outFeatures);
      const px = mem.put(x);
      const pw = mem.put(w);
      const pdy = mem.put(dy);
      const pdx = dx === null ? 0 : mem.take(dx.length);
      const pdw = mem.take(dw.length);
      const pdb = db === null ? 0 : mem.take(db.length);
      k.dn_linear_backward(n, inFeatures, outFeatures, px, pw, pdy, pdx, pdw, pdb, mem.scratch);
      if (dx !== null) mem.get(pdx, dx);
      mem.get(pdw, dw);
      if (db !== null) mem.get(pdb, db);
    },

    // Delegated to the reference on purpose: O(n*k) float64 work per step, exact, and log/exp in JS.
    softmaxCrossEntropy(n, kk, logits, labels: Int32Array, dlogits: F32): number {
      return softmaxCrossEntropy(n, kk, logits, labels, dlogits);
    },
  };
}
