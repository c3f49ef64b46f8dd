/**
 * H_l, the composite function of layer l (Huang et al. 2017, Sec. 3): BN-ReLU-Conv3x3(k), or with the
 * bottleneck of DenseNet-B BN-ReLU-Conv1x1(bnSize*k)-BN-ReLU-Conv3x3(k). It reads the concatenation of all
 * preceding feature maps (the first rows of its block's buffer) and writes its k new rows after them.
 * Training keeps only the bottleneck output per layer; the BN-ReLU outputs go to shared scratch and are
 * recomputed in backward (Pleiss et al. 2017, "Memory-Efficient Implementation of DenseNets").
 */
import { BatchNorm2d } from '../nn/batchnorm.js';
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

  /** x_l = H_l([x_0, ..., x_{l-1}]): reads `inputs` [C_in][N][H][W], writes its k channels into `out`. */
  forward(ctx: Context, inputs: FeatureMap, out: FeatureMap): void {
    const act = this.norm1.forward(ctx, inputs, true, this.slot(ctx, 'act', inputs.c, inputs));
    if (this.conv2 === null) {
      this.drop.forward(ctx, this.conv1.forward(ctx, act, out.data));
      return;
    }
    const mid = this.conv1.forward(ctx, act, this.slot(ctx, 'mid', this.conv1.outChannels, inputs));
    // inference normalises the bottleneck in place; training keeps it for norm2's backward
    const b = this.norm2!.forward(ctx, mid, true, ctx.training ? this.slot(ctx, 'b', mid.c, inputs) : mid.data);
    this.drop.forward(ctx, this.conv2.forward(ctx, b, out.data));
  }

  /**
   * Backward of the last training forward. dOut: the gradient of this layer's k rows (complete: every later
   * layer has added its part); dInputs: the gradient rows of its inputs, ACCUMULATED into.
   */
  backward(ctx: Context, inputs: FeatureMap, dOut: FeatureMap, dInputs: FeatureMap): void {
    const ws = ctx.ws;
    const s = inputs.n * inputs.h * inputs.w;
    this.drop.backward(ctx, dOut);
    let dConv1Out = dOut;
    if (this.conv2 !== null) {
      const mid = featureMap(this.slot(ctx, 'mid', this.conv1.outChannels, inputs), this.conv1.outChannels, inputs.n, inputs.h, inputs.w);
      const b = ctx.memoryEfficient ? this.norm2!.recompute(ctx, mid, true, this.slot(ctx, 'b', mid.c, inputs)) : { ...mid, data: this.slot(ctx, 'b', mid.c, inputs) };
      const dB = { ...mid, data: ws.zeros('grad.b', mid.c * s) };
      this.conv2.backward(ctx, b, dOut, dB);
      dConv1Out = { ...mid, data: ws.zeros('grad.mid', mid.c * s) };
      this.norm2!.backward(ctx, mid, true, dB, dConv1Out);
    }
    const actData = this.slot(ctx, 'act', inputs.c, inputs);
    const act = ctx.memoryEfficient ? this.norm1.recompute(ctx, inputs, true, actData) : { ...inputs, data: actData };
    const dAct = { ...inputs, data: ws.zeros('grad.act', inputs.c * s) };
    this.conv1.backward(ctx, act, dConv1Out, dAct);
    this.norm1.backward(ctx, inputs, true, dAct, dInputs);
  }

  /**
   * Where each intermediate lives: the bottleneck output `mid` is kept per layer while training; the BN-ReLU
   * outputs `act` and `b` are shared scratch (recomputed) unless memory-efficient mode is off.
   */
  private slot(ctx: Context, role: 'act' | 'mid' | 'b', c: number, like: FeatureMap): Float32Array {
    const size = c * like.n * like.h * like.w;
    const name = `${this.path}.${role}`;
    if (role === 'mid') return ctx.ws.get(kept(ctx, name, 'bottleneck'), size);
    return ctx.ws.get(keptIfNaive(ctx, name, role === 'act' ? 'bnrelu' : 'bnrelu2'), size);
  }
}
