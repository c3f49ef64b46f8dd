/**
 * A dense block (Huang et al. 2017, Eq. 2: x_l = H_l([x_0, ..., x_{l-1}])) and the transition layer between
 * blocks (Sec. 3 "Pooling layers"; compression theta of DenseNet-C). A block is one channel-major buffer of
 * C_in + L*k rows: whoever produces the block input writes its first C_in rows, each layer appends k rows,
 * and concatenation never copies. Its gradient is one buffer of the same shape.
 */
import { BatchNorm2d, DeferredBatchNormGrad, SharedBatchStats } from '../nn/batchnorm.js';
import { backwardOps, channels, featureMap, type Context, type FeatureMap } from '../nn/context.js';
import { Conv2d } from '../nn/conv.js';
import { Module } from '../nn/module.js';
import { AvgPool2d, ReLU } from '../nn/pool.js';
import type { Rng } from '../tensor/rng.js';
import { DenseLayer } from './dense-layer.js';

export class DenseBlock extends Module {
  readonly layers: DenseLayer[] = [];
  readonly outChannels: number;
  /** Training: batch statistics of the buffer's channels, computed once per step for every BN that reads them. */
  readonly stats: SharedBatchStats;
  /** Training, fused backward: the layers' deferred norm1 terms per channel of the buffer (see backward). */
  readonly deferred: DeferredBatchNormGrad;

  constructor(readonly inChannels: number, numLayers: number, readonly growthRate: number, bottleneck: boolean, bnSize: number, dropRate: number, rng: Rng | null) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(this.add(`denselayer${i + 1}`, new DenseLayer(inChannels + i * growthRate, growthRate, bottleneck, bnSize, dropRate, rng)));
    }
    this.outChannels = inChannels + numLayers * growthRate;
    this.stats = new SharedBatchStats(this.outChannels);
    this.deferred = new DeferredBatchNormGrad(this.outChannels);
  }

  /** The block's buffer [C_in + L*k][N][H][W] in workspace slot `slot`. */
  buffer(ctx: Context, slot: string, n: number, h: number, w: number): FeatureMap {
    return featureMap(ctx.ws.get(slot, this.outChannels * n * h * w), this.outChannels, n, h, w);
  }

  /** Runs every layer in place: layer l reads rows [0, C_in + l*k) and appends k rows. No copies. */
  forward(ctx: Context, buf: FeatureMap): FeatureMap {
    let c = this.inChannels;
    this.stats.valid = 0; // the buffer holds new values
    for (const layer of this.layers) {
      layer.forward(ctx, channels(buf, 0, c), channels(buf, c, this.growthRate), this.stats);
      c += this.growthRate;
    }
    ctx.trace?.({ path: this.path, kind: 'DenseBlock', out: [buf.n, buf.c, buf.h, buf.w], macs: 0 });
    return buf;
  }

  /**
   * Backward through the block, last layer first: when layer l runs, rows [C_in + l*k, +k) of `grad` hold
   * the complete gradient of its output (from the block's consumer and every later layer), and it adds its
   * inputs' gradient to the rows before. Afterwards rows [0, C_in) hold the block input's gradient.
   */
  backward(ctx: Context, buf: FeatureMap, grad: FeatureMap): void {
    // With the backend's fused conv1x1BatchNorm, each layer's norm1 leaves the per-channel terms of its backward
    // in `deferred` (they use the channel's batch mean, the same for every layer: SharedBatchStats), and they are
    // added once per channel when its gradient is otherwise complete: before its producer's backward, or at the end
    // for the block input. DenseNet-BC-100 batch 64, 2 threads, loaded machine (load 5-10 on 2 cores), fused vs
    // unfused in the same run (bench/train-ab.ts, interleaved, medians): CPU time 1822 vs 1917 ms/step (0.95, 7 reps),
    // wall 0.97 (9 reps); bytes moved by the ops (bench/traffic.ts model) 6.5 vs 8.5 GB/step.
    const ops = backwardOps(ctx);
    const d = ops.conv1x1BatchNorm !== undefined && ops.batchNormDeferredAdd !== undefined ? this.deferred : undefined;
    if (d !== undefined) {
      d.p.fill(0);
      d.q.fill(0);
    }
    const last = this.layers.length - 1;
    for (let l = last; l >= 0; l--) {
      const c = this.inChannels + l * this.growthRate;
      if (d !== undefined && l < last) this.addDeferred(ctx, buf, grad, c, c + this.growthRate);
      this.layers[l].backward(ctx, channels(buf, 0, c), channels(grad, c, this.growthRate), channels(grad, 0, c), d);
    }
    if (d !== undefined) this.addDeferred(ctx, buf, grad, 0, this.inChannels);
  }

  /** grad rows [c0, c1) += the deferred BN terms of every layer that read them (backend.ts batchNormDeferredAdd). */
  private addDeferred(ctx: Context, buf: FeatureMap, grad: FeatureMap, c0: number, c1: number): void {
    const s = buf.n * buf.h * buf.w;
    backwardOps(ctx).batchNormDeferredAdd!(c1 - c0, s, channels(buf, c0, c1 - c0).data, this.stats.mean.subarray(c0, c1),
      this.deferred.p.subarray(c0, c1), this.deferred.q.subarray(c0, c1), channels(grad, c0, c1 - c0).data);
  }
}

/**
 * BN-ReLU-Conv1x1(floor(theta*C))-AvgPool 2x2/2. The engine pools before the 1x1 convolution: both are linear
 * and the convolution has no bias, so conv(pool(a)) = pool(conv(a)) up to rounding, at a quarter of the MACs
 * (8% of DenseNet-121's). Summaries still report the paper's order and MACs.
 */
export class Transition extends Module {
  readonly norm: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv: Conv2d;
  readonly pool: AvgPool2d;

  constructor(readonly inChannels: number, readonly outChannels: number, rng: Rng | null) {
    super();
    this.norm = this.add('norm', new BatchNorm2d(inChannels));
    this.relu = this.add('relu', new ReLU());
    this.conv = this.add('conv', new Conv2d(inChannels, outChannels, 1, rng));
    this.pool = this.add('pool', new AvgPool2d(2, 2));
  }

  /**
   * x: the block buffer [C][N][H][W] -> `out` [floor(theta*C)][N][H/2][W/2] (the next block's first rows).
   * `stats`: the block's shared batch statistics (training).
   */
  forward(ctx: Context, x: FeatureMap, out: Float32Array, stats?: SharedBatchStats): FeatureMap {
    const pooledData = ctx.ws.get('bottleneck', x.c * x.n * Math.floor(x.h / 2) * Math.floor(x.w / 2));
    // BN-ReLU fused into the pooling (backend.ts pooling `pre`): the normalised block never exists, in
    // inference and memory-efficient training (DenseNet-121 batch 1: 0.17 vs 0.42 ms for transition 1's
    // BN-ReLU + pool, loaded machine). Naive training (the baseline) stores it for backward.
    const pooled = ctx.training && !ctx.memoryEfficient
      ? this.pool.forward(ctx, this.norm.forward(ctx, x, true, this.naiveAct(ctx, x), stats), pooledData)
      : this.pool.forward(ctx, x, pooledData, this.norm.prepare(ctx, x, true, stats));
    // the trace shows the paper's order: the convolution at full resolution, then the pooling
    const trace = ctx.trace;
    const y = this.conv.forward(trace ? { ...ctx, trace: (e) => trace({ ...e, out: [x.n, e.out[1], x.h, x.w], macs: e.macs * (x.h * x.w) / (pooled.h * pooled.w) }) } : ctx, pooled, out);
    return y;
  }

  /**
   * dOut: gradient of the output; dx (the block's gradient buffer) is OVERWRITTEN: the norm reads every channel of
   * the block, so its backward is the first to write each row, and a fresh buffer needs no zero-fill.
   */
  backward(ctx: Context, x: FeatureMap, dOut: FeatureMap, dx: FeatureMap): void {
    const s = x.n * x.h * x.w;
    // the convolution's input again: memory-efficient training pools BN-ReLU(x) fused as the forward did
    const quiet = { ...ctx, trace: undefined };
    const pooledData = ctx.ws.get('bottleneck', x.c * dOut.n * dOut.h * dOut.w);
    const pooled = ctx.memoryEfficient
      ? this.pool.forward(quiet, x, pooledData, this.norm.current(true))
      : this.pool.forward(quiet, { ...x, data: this.naiveAct(ctx, x) }, pooledData);
    const dPooled = { ...pooled, data: ctx.ws.get('grad.trans', pooled.data.length) };
    this.conv.backward(ctx, pooled, dOut, dPooled, null, true);
    const dAct = featureMap(ctx.ws.get('grad.act', x.c * s), x.c, x.n, x.h, x.w);
    this.pool.backward(ctx, dPooled, dAct);
    this.norm.backward(ctx, x, true, dAct, dx, true);
  }

  /** BN-ReLU(x), stored per transition in naive training only. */
  private naiveAct(ctx: Context, x: FeatureMap): Float32Array {
    return ctx.ws.get(`${this.path}.act`, x.c * x.n * x.h * x.w);
  }
}
