/**
 * Parameter-free layers: pooling, ReLU and dropout. They exist as modules so the model tree (and its printed
 * summary) matches torchvision's, even where the engine fuses ReLU into the preceding batch norm.
 */
import { poolGeometry, type ConvPre } from '../backend/backend.js';
import { backwardOps, featureMap, type Context, type FeatureMap } from './context.js';
import { Module } from './module.js';

export class MaxPool2d extends Module {
  constructor(readonly kernel: number, readonly stride: number, readonly padding = 0) {
    super();
  }

  /** With `pre` it pools pre(x): a preceding BN-ReLU fused in (BatchNorm2d.prepare), never materialised. */
  forward(ctx: Context, x: FeatureMap, out: Float32Array, pre?: ConvPre): FeatureMap {
    return pool(ctx, this, 'max', x, out, pre);
  }

  /** dx (overwritten) from dy, routing each window's gradient to its first maximum in x. */
  backward(ctx: Context, x: FeatureMap, dy: FeatureMap, dx: FeatureMap): void {
    backwardOps(ctx).maxPool2d(poolGeometry(x.c, x.n, x.h, x.w, this.kernel, this.stride, this.padding), x.data, dy.data, dx.data);
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernel: number, readonly stride: number, readonly padding = 0) {
    super();
  }

  /** With `pre` it pools pre(x): a preceding BN-ReLU fused in (BatchNorm2d.prepare), never materialised. */
  forward(ctx: Context, x: FeatureMap, out: Float32Array, pre?: ConvPre): FeatureMap {
    return pool(ctx, this, 'avg', x, out, pre);
  }

  /** dx (overwritten, shape of the forward input) from dy. */
  backward(ctx: Context, dy: FeatureMap, dx: FeatureMap): void {
    backwardOps(ctx).avgPool2d(poolGeometry(dx.c, dx.n, dx.h, dx.w, this.kernel, this.stride, this.padding), dy.data, dx.data);
  }
}

function pool(ctx: Context, m: MaxPool2d | AvgPool2d, kind: 'max' | 'avg', x: FeatureMap, out: Float32Array, pre?: ConvPre): FeatureMap {
  const g = poolGeometry(x.c, x.n, x.h, x.w, m.kernel, m.stride, m.padding);
  if (g.ho < 1 || g.wo < 1) {
    throw new Error(`${m.path || kind + '_pool2d'}: input ${x.h}x${x.w} is too small for a ${m.kernel}x${m.kernel} window (stride ${m.stride}); use a larger input`);
  }
  const y = featureMap(out, g.c, g.n, g.ho, g.wo);
  if (kind === 'max') ctx.backend.maxPool2d(g, x.data, y.data, pre);
  else ctx.backend.avgPool2d(g, x.data, y.data, pre);
  ctx.trace?.({ path: m.path, kind: `${kind === 'max' ? 'MaxPool2d' : 'AvgPool2d'} ${m.kernel}/${m.stride}`, out: [g.n, g.c, g.ho, g.wo], macs: 0 });
  return y;
}

/** ReLU. In DenseNets it always follows a batch norm and runs fused with it (BatchNorm2d.forward relu=true). */
export class ReLU extends Module {}

/** Inverted dropout (F.dropout), active only in training; the keep-mask comes from the context's seeded RNG. */
export class Dropout extends Module {
  private mask = new Uint8Array(0);

  constructor(readonly p: number) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${p}`);
  }

  /** In place on x during training; identity in eval. */
  forward(ctx: Context, x: FeatureMap): FeatureMap {
    if (!ctx.training || this.p === 0) return x;
    const size = x.data.length;
    if (this.mask.length < size) this.mask = new Uint8Array(size);
    const keep = this.mask.subarray(0, size);
    for (let i = 0; i < size; i++) keep[i] = ctx.rng.uniform() >= this.p ? 1 : 0;
    ctx.backend.dropout(size, x.data, keep, this.p, x.data);
    return x;
  }

  /** In place on dy: the same mask and scale as the last forward. */
  backward(ctx: Context, dy: FeatureMap): void {
    if (!ctx.training || this.p === 0) return;
    ctx.backend.dropout(dy.data.length, dy.data, this.mask.subarray(0, dy.data.length), this.p, dy.data);
  }
}
