/**
 * H_l, the composite function of layer l (Huang et al. 2017, Sec. 3): BN-ReLU-Conv3x3(k), or with the
 * bottleneck of DenseNet-B BN-ReLU-Conv1x1(bnSize*k)-BN-ReLU-Conv3x3(k). It reads the concatenation of all
 * preceding feature maps (the first rows of its block's buffer) and writes its k new rows after them.
 * Training keeps only the bottleneck output per layer (Pleiss et al. 2017, "Memory-Efficient Implementation of
 * DenseNets"). The BN-ReLU outputs are never materialised: each convolution applies the BN-ReLU before it
 * while reading its input (backend.ts ConvPre), in forward and for its weight gradient, so there is nothing
 * to store or recompute. Naive training (memoryEfficient off, the comparison baseline) stores them.
 */
import { BatchNorm2d, type DeferredBatchNormGrad, type SharedBatchStats } from '../nn/batchnorm.js';
import { featureMap, kept, keptIfNaive, type Context, type FeatureMap } from '../nn/context.js';
import { Conv2d } from '../nn/conv.js';
import { Module } from '../nn/module.js';
import { Dropout, ReLU } from '../nn/pool.js';
import type { Rng } from '../tensor/rng.js';

export class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly relu1: ReLU;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d | null = null;
  readonly relu2: ReLU | null = null;
  readonly conv2: Conv2d | null = null;
  readonly drop: Dropout;

  constructor(readonly inChannels: number, readonly growthRate: number, bottleneck: boolean, bnSize: number, dropRate: number, rng: Rng | null) {
    super();
    const width = bottleneck ? bnSize * growthRate : growthRate;
    this.norm1 = this.add('norm1', new BatchNorm2d(inChannels));
    this.relu1 = this.add('relu1', new ReLU());
    this.conv1 = this.add('conv1', bottleneck ? new Conv2d(inChannels, width, 1, rng) : new Conv2d(inChannels, width, 3, rng, { padding: 1 }));
    if (bottleneck) {
      this.norm2 = this.add('norm2', new BatchNorm2d(width));
      this.relu2 = this.add('relu2', new ReLU());
      this.conv2 = this.add('conv2', new Conv2d(width, growthRate, 3, rng, { padding: 1 }));
    }
    // torchvision drops the k new features only (F.dropout after the last conv, no module of its own)
    this.drop = new Dropout(dropRate);
  }

  /**
   * x_l = H_l([x_0, ..., x_{l-1}]): reads `inputs` [C_in][N][H][W], writes its k channels into `out`.
   * `stats`: the block's shared batch statistics of `inputs` (training; norm1 computes only the new channels').
   */
  forward(ctx: Context, inputs: FeatureMap, out: FeatureMap, stats?: SharedBatchStats): void {
    if (ctx.training && !ctx.memoryEfficient) {
      this.forwardNaive(ctx, inputs, out, stats);
      return;
    }
    // each BN-ReLU is applied by the convolution after it as it reads its input (ConvPre): no normalised
    // copy of the inputs (or of the bottleneck) exists, in inference and in memory-efficient training
    const pre1 = this.norm1.prepare(ctx, inputs, true, stats);
    if (this.conv2 === null) {
      this.drop.forward(ctx, this.conv1.forward(ctx, inputs, out.data, pre1));
      return;
    }
    const mid = this.conv1.forward(ctx, inputs, this.slot(ctx, 'mid', this.conv1.outChannels, inputs), pre1);
    const pre2 = this.norm2!.prepare(ctx, mid, true);
    this.drop.forward(ctx, this.conv2.forward(ctx, mid, out.data, pre2));
  }

  /** Naive training (the comparison baseline): every BN-ReLU output is stored for backward. */
  private forwardNaive(ctx: Context, inputs: FeatureMap, out: FeatureMap, stats?: SharedBatchStats): void {
    const act = this.norm1.forward(ctx, inputs, true, this.slot(ctx, 'act', inputs.c, inputs), stats);
    if (this.conv2 === null) {
      this.drop.forward(ctx, this.conv1.forward(ctx, act, out.data));
      return;
    }
    const mid = this.conv1.forward(ctx, act, this.slot(ctx, 'mid', this.conv1.outChannels, inputs));
    const b = this.norm2!.forward(ctx, mid, true, this.slot(ctx, 'b', mid.c, inputs));
    this.drop.forward(ctx, this.conv2.forward(ctx, b, out.data));
  }

  /**
   * Backward of the last training forward. dOut: the gradient of this layer's k rows (complete: every later
   * layer has added its part); dInputs: the gradient rows of its inputs, ACCUMULATED into. With `deferred` (the
   * block's, when the backend fuses a 1x1 convolution's input gradient into the BN backward before it), norm1's
   * per-channel terms go there instead of into dInputs (DenseBlock.backward applies them).
   */
  backward(ctx: Context, inputs: FeatureMap, dOut: FeatureMap, dInputs: FeatureMap, deferred?: DeferredBatchNormGrad): void {
    const ws = ctx.ws;
    const s = inputs.n * inputs.h * inputs.w;
    this.drop.backward(ctx, dOut);
    const fused = ctx.memoryEfficient; // forward fused each BN-ReLU into its convolution (see forward)
    let dConv1Out = dOut;
    if (this.conv2 !== null) {
      const mid = featureMap(this.slot(ctx, 'mid', this.conv1.outChannels, inputs), this.conv1.outChannels, inputs.n, inputs.h, inputs.w);
      // the convolutions and norm2 overwrite their input gradients (fresh buffers, no zero-fill); norm1
      // accumulates into the block's gradient rows
      const dB = { ...mid, data: ws.get('grad.b', mid.c * s) };
      if (fused) this.conv2.backward(ctx, mid, dOut, dB, this.norm2!.current(true), true);
      else this.conv2.backward(ctx, { ...mid, data: this.slot(ctx, 'b', mid.c, inputs) }, dOut, dB, null, true);
      dConv1Out = { ...mid, data: ws.get('grad.mid', mid.c * s) };
      this.norm2!.backward(ctx, mid, true, dB, dConv1Out, true);
    }
    const xConv1 = fused ? inputs : { ...inputs, data: this.slot(ctx, 'act', inputs.c, inputs) };
    const pre1 = fused ? this.norm1.current(true) : null;
    // conv1's gradients inside norm1's backward (backend.ts conv1x1BatchNorm): the [C_in][s] gradient of
    // BN-ReLU(inputs) is never written, inputs are read once for dw and dx, and dInputs read and written once
    if (deferred !== undefined && this.conv1.kernel === 1 && this.conv1.bias === null &&
      this.norm1.backwardThroughConv1x1(ctx, inputs, true, this.conv1.weight.data, this.conv1.outChannels, dConv1Out, dInputs,
        deferred, this.conv1.weight.grad)) return;
    const dAct = { ...inputs, data: ws.get('grad.act', inputs.c * s) };
    this.conv1.backward(ctx, xConv1, dConv1Out, dAct, pre1, true);
    this.norm1.backward(ctx, inputs, true, dAct, dInputs);
  }

  /**
   * Where each intermediate lives: the bottleneck output `mid` is kept per layer while training (shared
   * scratch in inference); the BN-ReLU outputs `act` and `b` exist only in naive training, kept per layer.
   */
  private slot(ctx: Context, role: 'act' | 'mid' | 'b', c: number, like: FeatureMap): Float32Array {
    const size = c * like.n * like.h * like.w;
    const name = `${this.path}.${role}`;
    if (role === 'mid') return ctx.ws.get(kept(ctx, name, 'bottleneck'), size);
    return ctx.ws.get(keptIfNaive(ctx, name, role === 'act' ? 'bnrelu' : 'bnrelu2'), size);
  }
}
