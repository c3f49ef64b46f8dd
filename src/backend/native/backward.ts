/**
 * The native backend's backward ops (backend.ts BackwardOps): glue for the addon's backward exports
 * (csrc/conv2d_dx.c, conv2d_dw.c, batch_norm_backward.c, conv1x1_bn_backward.c, pool_backward.c, eltwise.c, linear.c via
 * csrc/dispatch.c). Lengths are checked here without allocating, then again in C; outputs may not overlap
 * inputs except where the op allows it (batchNorm dx = dy, relu dx = dy). Softmax cross-entropy runs the
 * reference's float64 loop: [n][classes] is tiny next to one convolution, and the loss must match to 1e-6.
 */
import type { BackwardOps, F32, PoolGeometry } from '../backend.js';
import { softmaxCrossEntropy } from '../reference/softmax-cross-entropy.js';
import { checkConvGeometry, checkPoolGeometry, convDims, expectAtLeast, expectDims, expectLength, poolDims } from '../validate.js';
import { checkConvPre } from '../reference/conv2d.js';
import { convGeomOk, dim, expectNoOverlap, poolOk, reject } from './checks.js';

/** The addon's backward exports (csrc/addon.c). */
export interface AddonBackward {
  conv2dBackward(n: number, cin: number, h: number, w: number, cout: number, kh: number, kw: number, stride: number,
    pad: number, ho: number, wo: number, x: F32, weight: F32, dy: F32, dx: F32 | null, dw: F32 | null, db: F32 | null,
    preScale?: F32 | null, preShift?: F32 | null, preRelu?: boolean, overwriteDx?: boolean): void;
  batchNormBackward(c: number, s: number, x: F32, mean: F32, invStd: F32, gamma: F32, beta: F32, relu: boolean,
    dy: F32, dx: F32, dgamma: F32, dbeta: F32, overwriteDx: boolean): void;
  reluBackward(size: number, y: F32, dy: F32, dx: F32): void;
  maxPool2dBackward(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number,
    wo: number, x: F32, dy: F32, dx: F32): void;
  avgPool2dBackward(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number,
    wo: number, dy: F32, dx: F32): void;
  globalAvgPoolBackward(c: number, n: number, hw: number, dy: F32, dx: F32): void;
  linearBackward(n: number, inF: number, outF: number, x: F32, w: F32, dy: F32, dx: F32 | null, dw: F32, db: F32 | null): void;
  /** absent from an addon built before them (a stale prebuilt binary): the ops are then left out */
  conv1x1BatchNormBackward?(c: number, s: number, cout: number, w: F32, dy: F32, x: F32, mean: F32, invStd: F32, gamma: F32,
    beta: F32, relu: boolean, dx: F32, dgamma: F32, dbeta: F32, deferredP: F32, deferredQ: F32, dw: F32 | null,
    preScale: F32 | null, preShift: F32 | null, preRelu: boolean): void;
  batchNormDeferredAdd?(c: number, s: number, x: F32, mean: F32, p: F32, q: F32, dx: F32): void;
}

/** dx of a pooling op: sized for x, not overlapping dy (or x). */
function poolBackwardChecks(op: string, g: PoolGeometry, x: F32 | null, dy: F32, dx: F32): void {
  if (!poolOk(g, x, dy) || dx.length !== g.c * g.n * g.h * g.w) {
    reject(op, () => {
      checkPoolGeometry(op, g);
      const d = poolDims(g);
      expectLength(op, 'x', x, d.x);
      expectLength(op, 'dy', dy, d.y);
      expectLength(op, 'dx', dx, d.x);
    });
  }
  expectNoOverlap(op, [['dx', dx]], [['x', x], ['dy', dy]]);
}

export function makeBackward(addon: AddonBackward): BackwardOps {
  const ops: BackwardOps = {
    conv2d(g, x, w, dy, dx, dw, db, pre, overwriteDx): void {
      const op = 'conv2d backward';
      if (pre && !(pre.scale.length === g.cin && pre.shift.length === g.cin)) reject(op, () => checkConvPre(op, g, pre));
      const xs = g.cin * g.n * g.h * g.w;
      const ws = g.cout * g.cin * g.kh * g.kw;
      if (!(convGeomOk(g, x, w) && dy.length === g.cout * g.n * g.ho * g.wo && (dx === null || dx.length === xs) &&
        (dw === null || dw.length === ws) && (db === null || db.length === g.cout))) {
        reject(op, () => {
          checkConvGeometry(op, g);
          const d = convDims(g);
          expectLength(op, 'x', x, d.x);
          expectLength(op, 'w', w, d.w);
          expectLength(op, 'dy', dy, d.y);
          expectLength(op, 'dx', dx, d.x);
          expectLength(op, 'dw', dw, d.w);
          expectLength(op, 'db', db, d.b);
        });
      }
      expectNoOverlap(op, [['dx', dx], ['dw', dw], ['db', db]], [['x', x], ['w', w], ['dy', dy]]);
      expectNoOverlap(op, [['dx', dx]], [['dw', dw], ['db', db]]);
      expectNoOverlap(op, [['dw', dw]], [['db', db]]);
      if ((pre && dw) || (overwriteDx && dx)) {
        const p = pre && dw ? pre : null;
        addon.conv2dBackward(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo, x, w, dy, dx, dw, db,
          p?.scale ?? null, p?.shift ?? null, p?.relu ?? false, overwriteDx === true);
      } else {
        addon.conv2dBackward(g.n, g.cin, g.h, g.w, g.cout, g.kh, g.kw, g.stride, g.pad, g.ho, g.wo, x, w, dy, dx, dw, db);
      }
    },

    batchNorm(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dgamma, dbeta, overwriteDx): void {
      const op = 'batchNorm backward';
      const cs = c * s;
      if (!(dim(c, true) && dim(s, true) && x.length === cs && dy.length === cs && dx.length === cs && mean.length === c &&
        invStd.length === c && gamma.length === c && beta.length === c && dgamma.length === c && dbeta.length === c)) {
        reject(op, () => {
          expectDims(op, { c, s });
          for (const [name, arr] of [['x', x], ['dy', dy], ['dx', dx]] as const) expectLength(op, name, arr, { c, s });
          const vecs = [['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta], ['dgamma', dgamma], ['dbeta', dbeta]] as const;
          for (const [name, arr] of vecs) expectLength(op, name, arr, { c });
        });
      }
      // dx may be dy itself (every element is read before it is written), but no other overlap
      const sameView = dx.buffer === dy.buffer && dx.byteOffset === dy.byteOffset;
      expectNoOverlap(op, [['dx', dx]], [['x', x], ['dy', sameView ? null : dy], ['dgamma', dgamma], ['dbeta', dbeta]]);
      expectNoOverlap(op, [['dgamma', dgamma], ['dbeta', dbeta]],
        [['x', x], ['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta], ['dy', dy]]);
      addon.batchNormBackward(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dgamma, dbeta, overwriteDx === true);
    },

    conv1x1BatchNorm(c, s, cout, w, dy, x, mean, invStd, gamma, beta, relu, dx, dgamma, dbeta, deferredP, deferredQ, dw, pre): void {
      const op = 'conv1x1BatchNorm backward';
      const cs = c * s;
      const vecs = [['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta], ['dgamma', dgamma], ['dbeta', dbeta],
        ['deferredP', deferredP], ['deferredQ', deferredQ]] as const;
      if (!(dim(c, true) && dim(s, true) && dim(cout, true) && w.length === cout * c && dy.length === cout * s &&
        x.length === cs && dx.length === cs && vecs.every(([, v]) => v.length === c) && (!dw || dw.length === cout * c) &&
        (!pre || (pre.scale.length === c && pre.shift.length === c)))) {
        reject(op, () => {
          expectDims(op, { c, s, cout });
          expectLength(op, 'w', w, { cout, c });
          expectLength(op, 'dy', dy, { cout, s });
          expectLength(op, 'x', x, { c, s });
          expectLength(op, 'dx', dx, { c, s });
          for (const [name, arr] of vecs) expectLength(op, name, arr, { c });
          expectLength(op, 'dw', dw ?? null, { cout, c });
          if (pre) for (const [name, arr] of [['pre.scale', pre.scale], ['pre.shift', pre.shift]] as const) expectLength(op, name, arr, { c });
        });
      }
      const outs: [string, F32 | null][] = [['dgamma', dgamma], ['dbeta', dbeta], ['deferredP', deferredP], ['deferredQ', deferredQ], ['dw', dw ?? null]];
      expectNoOverlap(op, [['dx', dx]], [['x', x], ['w', w], ['dy', dy], ...outs]);
      expectNoOverlap(op, outs, [['x', x], ['w', w], ['dy', dy], ['mean', mean], ['invStd', invStd], ['gamma', gamma], ['beta', beta],
        ['pre.scale', pre?.scale ?? null], ['pre.shift', pre?.shift ?? null]]);
      for (let i = 0; i < outs.length; i++) expectNoOverlap(op, [outs[i]], outs.slice(i + 1));
      addon.conv1x1BatchNormBackward!(c, s, cout, w, dy, x, mean, invStd, gamma, beta, relu, dx, dgamma, dbeta, deferredP, deferredQ,
        dw ?? null, pre?.scale ?? null, pre?.shift ?? null, pre?.relu ?? false);
    },

    batchNormDeferredAdd(c, s, x, mean, p, q, dx): void {
      const op = 'batchNorm deferred add';
      const cs = c * s;
      if (!(dim(c, true) && dim(s, true) && x.length === cs && dx.length === cs && mean.length === c && p.length === c && q.length === c)) {
        reject(op, () => {
          expectDims(op, { c, s });
          expectLength(op, 'x', x, { c, s });
          expectLength(op, 'dx', dx, { c, s });
          for (const [name, arr] of [['mean', mean], ['p', p], ['q', q]] as const) expectLength(op, name, arr, { c });
        });
      }
      expectNoOverlap(op, [['dx', dx]], [['x', x], ['mean', mean], ['p', p], ['q', q]]);
      addon.batchNormDeferredAdd!(c, s, x, mean, p, q, dx);
    },

    relu(size, y, dy, dx): void {
      const op = 'relu backward';
      if (!(dim(size, false) && y.length >= size && dy.length >= size && dx.length >= size)) {
        reject(op, () => {
          expectDims(op, { size }, false);
          expectAtLeast(op, 'y', y, { size });
          expectAtLeast(op, 'dy', dy, { size });
          expectAtLeast(op, 'dx', dx, { size });
        });
      }
      addon.reluBackward(size, y, dy, dx); // elementwise: any alias of dx with dy or y is fine
    },

    maxPool2d(g, x, dy, dx): void {
      poolBackwardChecks('maxPool2d backward', g, x, dy, dx);
      addon.maxPool2dBackward(g.c, g.n, g.h, g.w, g.k, g.stride, g.pad, g.ho, g.wo, x, dy, dx);
    },

    avgPool2d(g, dy, dx): void {
      poolBackwardChecks('avgPool2d backward', g, null, dy, dx);
      addon.avgPool2dBackward(g.c, g.n, g.h, g.w, g.k, g.stride, g.pad, g.ho, g.wo, dy, dx);
    },

    globalAvgPool(c, n, hw, dy, dx): void {
      const op = 'globalAvgPool backward';
      if (!(dim(c, true) && dim(n, true) && dim(hw, true) && dy.length === n * c && dx.length === c * n * hw)) {
        reject(op, () => {
          expectDims(op, { c, n, hw });
          expectLength(op, 'dy', dy, { n, c });
          expectLength(op, 'dx', dx, { c, n, hw });
        });
      }
      expectNoOverlap(op, [['dx', dx]], [['dy', dy]]);
      addon.globalAvgPoolBackward(c, n, hw, dy, dx);
    },

    linear(n, inFeatures, outFeatures, x, w, dy, dx, dw, db): void {
      const op = 'linear backward';
      if (!(dim(n, true) && dim(inFeatures, true) && dim(outFeatures, true) && x.length === n * inFeatures &&
        w.length === outFeatures * inFeatures && dy.length === n * outFeatures && (dx === null || dx.length === n * inFeatures) &&
        dw.length === outFeatures * inFeatures && (db === null || db.length === outFeatures))) {
        reject(op, () => {
          expectDims(op, { n, inFeatures, outFeatures });
          expectLength(op, 'x', x, { n, in: inFeatures });
          expectLength(op, 'w', w, { out: outFeatures, in: inFeatures });
          expectLength(op, 'dy', dy, { n, out: outFeatures });
          expectLength(op, 'dx', dx, { n, in: inFeatures });
          expectLength(op, 'dw', dw, { out: outFeatures, in: inFeatures });
          expectLength(op, 'db', db, { out: outFeatures });
        });
      }
      expectNoOverlap(op, [['dx', dx], ['dw', dw], ['db', db]], [['x', x], ['w', w], ['dy', dy]]);
      expectNoOverlap(op, [['dx', dx]], [['dw', dw], ['db', db]]);
      expectNoOverlap(op, [['dw', dw]], [['db', db]]);
      addon.linearBackward(n, inFeatures, outFeatures, x, w, dy, dx, dw, db);
    },

    softmaxCrossEntropy,
  };
  if (addon.conv1x1BatchNormBackward === undefined || addon.batchNormDeferredAdd === undefined) {
    delete ops.conv1x1BatchNorm;
    delete ops.batchNormDeferredAdd;
  }
  return Object.freeze(ops);
}
