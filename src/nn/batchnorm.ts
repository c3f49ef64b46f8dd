/**
 * BatchNorm2d with PyTorch's semantics (eps 1e-5, momentum 0.1; running variance updated with the unbiased
 * batch variance, normalisation with the biased one), optionally fused with the ReLU that follows it in every
 * DenseNet composite function. Inference folds the statistics into one per-channel scale and shift.
 */
import type { ConvPre } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import { backwardOps, featureMap, type Context, type FeatureMap } from './context.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/**
 * Batch statistics shared by every BN that normalises a prefix of one dense block's buffer. A channel's values
 * never change once written, so its batch mean and variance are the same for every later layer that reads
 * it: each is computed once per training step instead of once per reader, O(L) instead of O(L^2) in a block
 * (bit-identical: channelStats treats every channel on its own). `valid` channels hold current statistics;
 * the block resets it at the start of each forward. DenseNet-BC-100 at batch 64, 2 threads: BN forward
 * (statistics and apply) 47.7 -> 18.8 ms per training step (bench/bench.ts --only profile, same machine state).
 */
export class SharedBatchStats {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  valid = 0;

  constructor(readonly channels: number) {
    this.mean = new Float32Array(channels);
    this.variance = new Float32Array(channels);
  }
}

/**
 * The deferred per-channel terms of batch-norm backward (backend.ts conv1x1BatchNorm): every BN that normalises
 * a prefix of one dense block's buffer with the shared statistics adds its -k*dbeta and -k*dgamma*invStd here, and
 * the block applies the sum once per channel (batchNormDeferredAdd) when the channel's gradient is complete.
 */
export class DeferredBatchNormGrad {
  readonly p: Float32Array;
  readonly q: Float32Array;

  constructor(readonly channels: number) {
    this.p = new Float32Array(channels);
    this.q = new Float32Array(channels);
  }
}

export class BatchNorm2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  readonly eps = 1e-5;
  readonly momentum = 0.1;
  // per-channel scratch: folded scale/shift and batch statistics (allocated once)
  private readonly scale: Float32Array;
  private readonly shift: Float32Array;
  private readonly batchMean: Float32Array;
  private readonly batchVar: Float32Array;
  private readonly invStd: Float32Array;

  constructor(readonly numFeatures: number) {
    super();
    this.weight = this.addParam('weight', Tensor.from(new Float32Array(numFeatures).fill(1), [numFeatures]));
    this.bias = this.addParam('bias', Tensor.zeros([numFeatures]));
    this.runningMean = this.addBuffer('running_mean', Tensor.zeros([numFeatures]));
    this.runningVar = this.addBuffer('running_var', Tensor.from(new Float32Array(numFeatures).fill(1), [numFeatures]));
    this.numBatchesTracked = this.addBuffer('num_batches_tracked', Tensor.zeros([]));
    this.scale = new Float32Array(numFeatures);
    this.shift = new Float32Array(numFeatures);
    this.batchMean = new Float32Array(numFeatures);
    this.batchVar = new Float32Array(numFeatures);
    this.invStd = new Float32Array(numFeatures);
  }

  /** y = BN(x) (then ReLU if `relu`), written into `out`; x, y: [C][N][H][W]. `out` may be x.data. */
  forward(ctx: Context, x: FeatureMap, relu: boolean, out: Float32Array, shared?: SharedBatchStats): FeatureMap {
    this.prepare(ctx, x, relu, shared);
    return this.recompute(ctx, x, relu, out);
  }

  /**
   * The forward without applying it: statistics (batch statistics and the running-stat update when
   * training, running statistics in eval) folded into the per-channel transform, returned for the next
   * convolution to apply while it reads x (backend.ts ConvPre), so BN(x) is never materialised. Traces
   * the layer as forward does. The returned arrays are this layer's own, valid until its next forward.
   * In training, `shared` supplies the batch statistics of x's first channels and takes the rest.
   */
  prepare(ctx: Context, x: FeatureMap, relu: boolean, shared?: SharedBatchStats): ConvPre {
    const c = this.numFeatures;
    if (x.c !== c) throw new Error(`${this.path || 'batch_norm'}: input has ${x.c} channels but the layer normalises ${c}`);
    const s = x.n * x.h * x.w;
    let mean: Float32Array = this.runningMean.data;
    let variance: Float32Array = this.runningVar.data;
    if (ctx.training) {
      if (s < 2) throw new Error(`${this.path || 'batch_norm'}: training needs more than 1 value per channel (input [${x.n},${c},${x.h},${x.w}])`);
      this.batchStats(ctx, x, s, shared);
      const m = this.momentum;
      const unbias = s / (s - 1);
      const rm = this.runningMean.data;
      const rv = this.runningVar.data;
      for (let i = 0; i < c; i++) {
        rm[i] = (1 - m) * rm[i] + m * this.batchMean[i];
        rv[i] = (1 - m) * rv[i] + m * this.batchVar[i] * unbias;
      }
      this.numBatchesTracked.data[0] += 1;
      mean = this.batchMean;
      variance = this.batchVar;
    }
    const g = this.weight.data;
    const b = this.bias.data;
    for (let i = 0; i < c; i++) {
      const is = 1 / Math.sqrt(variance[i] + this.eps);
      this.invStd[i] = is;
      this.scale[i] = g[i] * is;
      this.shift[i] = b[i] - mean[i] * g[i] * is;
    }
    ctx.trace?.({ path: this.path, kind: relu ? 'BatchNorm2d+ReLU' : 'BatchNorm2d', out: [x.n, c, x.h, x.w], macs: 0 });
    return this.current(relu);
  }

  /** Batch mean and biased variance of x into batchMean/batchVar, reusing and extending `shared`. */
  private batchStats(ctx: Context, x: FeatureMap, s: number, shared: SharedBatchStats | undefined): void {
    const c = this.numFeatures;
    if (shared !== undefined && c > shared.channels) {
      throw new Error(`${this.path || 'batch_norm'}: shared statistics hold ${shared.channels} channels, the layer normalises ${c}`);
    }
    const have = shared === undefined ? 0 : Math.min(shared.valid, c);
    if (have > 0) {
      this.batchMean.set(shared!.mean.subarray(0, have));
      this.batchVar.set(shared!.variance.subarray(0, have));
    }
    if (have < c) {
      ctx.backend.channelStats(c - have, s, x.data.subarray(have * s, c * s), this.batchMean.subarray(have), this.batchVar.subarray(have));
    }
    if (shared !== undefined && c > shared.valid) {
      shared.mean.set(this.batchMean.subarray(have, c), have);
      shared.variance.set(this.batchVar.subarray(have, c), have);
      shared.valid = c;
    }
  }

  /** The transform of the last forward/prepare (same statistics): what backward gives the convolution. */
  current(relu: boolean): ConvPre {
    return { scale: this.scale, shift: this.shift, relu };
  }

  /**
   * Applies the normalisation of the last forward again (same statistics, running stats untouched): the
   * memory-efficient backward recomputes BN-ReLU outputs instead of storing them (Pleiss et al. 2017).
   */
  recompute(ctx: Context, x: FeatureMap, relu: boolean, out: Float32Array): FeatureMap {
    const y = featureMap(out, this.numFeatures, x.n, x.h, x.w);
    ctx.backend.scaleShift(this.numFeatures, x.n * x.h * x.w, x.data, this.scale, this.shift, relu, y.data);
    return y;
  }

  /**
   * Backward of the last training forward (batch statistics): weight.grad and bias.grad overwritten, dx
   * ACCUMULATES (is overwritten with `overwriteDx`). x is the forward input; with `relu` the mask is
   * recomputed from x.
   */
  backward(ctx: Context, x: FeatureMap, relu: boolean, dy: FeatureMap, dx: FeatureMap, overwriteDx = false): void {
    backwardOps(ctx).batchNorm(this.numFeatures, x.n * x.h * x.w, x.data, this.batchMean, this.invStd,
      this.weight.data, this.bias.data, relu, dy.data, dx.data, this.weight.grad, this.bias.grad, overwriteDx);
  }

  /**
   * Backward of this BN(-ReLU) and the 1x1 stride-1 convolution after it, the convolution's input gradient taken
   * straight into the BN backward (backend.ts conv1x1BatchNorm): dy is the convolution's output gradient [Cout][s],
   * w its weight [Cout][C], x this layer's forward input. weight.grad and bias.grad overwritten; dx ACCUMULATES the
   * per-element part of dL/dx and `deferred` (channels [0, C) of it) the per-channel rest, for
   * batchNormDeferredAdd once the statistics' other readers are done. `dw` (the convolution's weight.grad) is
   * overwritten with dy . BN-ReLU(x)^T, from the same reads of x. False (nothing done) without the fused op.
   */
  backwardThroughConv1x1(ctx: Context, x: FeatureMap, relu: boolean, w: Float32Array, cout: number, dy: FeatureMap,
    dx: FeatureMap, deferred: DeferredBatchNormGrad, dw: Float32Array): boolean {
    const ops = backwardOps(ctx);
    if (ops.conv1x1BatchNorm === undefined) return false;
    const c = this.numFeatures;
    ops.conv1x1BatchNorm(c, x.n * x.h * x.w, cout, w, dy.data, x.data, this.batchMean, this.invStd, this.weight.data,
      this.bias.data, relu, dx.data, this.weight.grad, this.bias.grad, deferred.p.subarray(0, c), deferred.q.subarray(0, c),
      dw, this.current(relu));
    return true;
  }

  /**
   * Backward of the last EVAL forward (running statistics), input gradient only: BN is then a fixed per-channel
   * affine map, so dx = dy * [y > 0 when relu] * gamma / sqrt(running_var + eps), overwritten (the ReLU backward
   * op, then the per-channel scale). y is that forward's OUTPUT (it carries the ReLU mask); dx may be dy.
   * Parameter gradients are not touched. For gradients w.r.t. a trained model's feature maps (Grad-CAM).
   */
  evalBackward(ctx: Context, y: FeatureMap, relu: boolean, dy: FeatureMap, dx: FeatureMap): void {
    if (ctx.training) throw new Error(`${this.path || 'batch_norm'}: evalBackward is for eval mode; training uses backward`);
    const c = this.numFeatures;
    if (y.c !== c || dy.data.length !== y.data.length || dx.data.length !== y.data.length) {
      throw new Error(`${this.path || 'batch_norm'}: evalBackward needs y, dy, dx of [${c},${y.n},${y.h},${y.w}]`);
    }
    if (relu) backwardOps(ctx).relu(y.data.length, y.data, dy.data, dx.data);
    else if (dx.data !== dy.data) dx.data.set(dy.data);
    ctx.backend.scaleShift(c, y.n * y.h * y.w, dx.data, this.scale, ctx.ws.zeros('bn.evalBackward.zeros', c), false, dx.data);
  }
}
