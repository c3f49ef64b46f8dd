/**
 * DenseNet (Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks", CVPR 2017):
 * a stem, dense blocks joined by transitions, BN-ReLU, global average pooling and a linear classifier. One
 * general model with the paper's options; parameter names are torchvision's, so its weights load as they are.
 * Feature maps are channel-major inside (backend.ts); the public API is NCHW. Speed belongs to the engine.
 */
import { BatchNorm2d } from '../nn/batchnorm.js';
import { channels, featureMap, kept, type Context, type FeatureMap } from '../nn/context.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { MaxPool2d, ReLU } from '../nn/pool.js';
import { Rng } from '../tensor/rng.js';
import { shapeStr, type Shape } from '../tensor/tensor.js';
import { type DenseNetConfig, resolveConfig } from './config.js';
import { ConvClassifier } from './classifier-base.js';
import { DenseBlock, Transition } from './dense-block.js';

export { DenseLayer } from './dense-layer.js';
export { DenseBlock, Transition } from './dense-block.js';

/** `features`: the stem (ImageNet: 7x7/2 conv, BN-ReLU, 3x3/2 max pool; CIFAR: one 3x3 conv), blocks, norm5. */
export class Features extends Module {
  readonly conv0: Conv2d;
  readonly norm0: BatchNorm2d | null = null;
  readonly relu0: ReLU | null = null;
  readonly pool0: MaxPool2d | null = null;
  readonly blocks: DenseBlock[] = [];
  readonly transitions: Transition[] = [];
  readonly norm5: BatchNorm2d;

  constructor(readonly cfg: DenseNetConfig, rng: Rng | null) {
    super();
    const { growthRate: k, initFeatures, inChannels } = cfg;
    if (cfg.stem === 'imagenet') {
      this.conv0 = this.add('conv0', new Conv2d(inChannels, initFeatures, 7, rng, { stride: 2, padding: 3 }));
      this.norm0 = this.add('norm0', new BatchNorm2d(initFeatures));
      this.relu0 = this.add('relu0', new ReLU());
      this.pool0 = this.add('pool0', new MaxPool2d(3, 2, 1));
    } else {
      this.conv0 = this.add('conv0', new Conv2d(inChannels, initFeatures, 3, rng, { padding: 1 }));
    }
    let c = initFeatures;
    cfg.blockConfig.forEach((numLayers, i) => {
      const block = this.add(`denseblock${i + 1}`, new DenseBlock(c, numLayers, k, cfg.bottleneck, cfg.bnSize, cfg.dropRate, rng));
      this.blocks.push(block);
      c = block.outChannels;
      if (i < cfg.blockConfig.length - 1) {
        const out = Math.floor(c * cfg.compression);
        this.transitions.push(this.add(`transition${i + 1}`, new Transition(c, out, rng)));
        c = out;
      }
    });
    this.norm5 = this.add('norm5', new BatchNorm2d(c));
  }

  get outChannels(): number {
    return this.norm5.numFeatures;
  }

  /**
   * Block i's buffer. Inference alternates two slots (a transition reads one and writes the other); training
   * keeps every block, since backward reads them all.
   */
  private blockBuffer(ctx: Context, i: number, n: number, h: number, w: number): FeatureMap {
    return this.blocks[i].buffer(ctx, kept(ctx, `${this.blocks[i].path}.buf`, i % 2 === 0 ? 'blockA' : 'blockB'), n, h, w);
  }

  /** x: [C_in][N][H][W] -> ReLU(norm5(...)) [C][N][H'][W'] (torchvision's F.relu after norm5, fused). */
  forward(ctx: Context, x: FeatureMap): FeatureMap {
    let buf = this.stemForward(ctx, x);
    for (let i = 0; i < this.blocks.length; i++) {
      this.blocks[i].forward(ctx, buf);
      ctx.tap?.(this.blocks[i].path, buf);
      if (i === this.transitions.length) break;
      const next = this.blockBuffer(ctx, i + 1, x.n, Math.floor(buf.h / 2), Math.floor(buf.w / 2));
      const pooled = this.transitions[i].forward(ctx, buf, next.data, this.blocks[i].stats);
      ctx.tap?.(this.transitions[i].path, pooled); // (a tap?.() call skips evaluating its arguments when unset)
      buf = next;
    }
    const last = this.blocks[this.blocks.length - 1];
    const out = this.norm5.forward(ctx, buf, true, ctx.ws.get('norm5', buf.c * buf.n * buf.h * buf.w), last.stats);
    ctx.tap?.('features.norm5', out);
    return out;
  }

  /** The stem; its last op writes straight into the first block's buffer. Returns that buffer. */
  private stemForward(ctx: Context, x: FeatureMap): FeatureMap {
    const c0 = this.conv0.outChannels;
    if (this.pool0 === null) {
      const buf = this.blockBuffer(ctx, 0, x.n, x.h, x.w);
      const y = this.conv0.forward(ctx, x, buf.data);
      ctx.tap?.('features.conv0', y);
      return buf;
    }
    const h = Math.floor((x.h - 1) / 2) + 1; // 7x7/2 pad 3
    const w = Math.floor((x.w - 1) / 2) + 1;
    const y = this.conv0.forward(ctx, x, ctx.ws.get(kept(ctx, 'features.conv0.out', 'stem'), c0 * x.n * h * w));
    const buf = this.blockBuffer(ctx, 0, x.n, Math.floor((h - 1) / 2) + 1, Math.floor((w - 1) / 2) + 1);
    // inference fuses norm0+relu0 into the max pool (backend.ts pooling `pre`); training stores the
    // activation, which the max pool's backward reads
    const pooled = ctx.training
      ? this.pool0.forward(ctx, this.norm0!.forward(ctx, y, true, ctx.ws.get('features.norm0.out', y.data.length)), buf.data)
      : this.pool0.forward(ctx, y, buf.data, this.norm0!.prepare(ctx, y, true));
    ctx.tap?.('features.pool0', pooled);
    return buf;
  }

  /**
   * Backward of the last training forward. dOut: gradient of the returned features; dx (input gradient,
   * accumulated) may be null. Block gradients alternate two buffers, each as large as its block, and need no
   * zero-fill: norm5 and each transition's norm read every channel of their block, so their backward overwrites
   * the whole buffer before any layer accumulates into it.
   */
  backward(ctx: Context, x: FeatureMap, dOut: FeatureMap, dx: FeatureMap | null): void {
    const bufs = this.blockSizes(x.h, x.w).map(([h, w], i) => this.blockBuffer(ctx, i, x.n, h, w));
    const gradOf = (i: number): FeatureMap => ({ ...bufs[i], data: ctx.ws.get(i % 2 === 0 ? 'grad.blockA' : 'grad.blockB', bufs[i].data.length) });
    const last = this.blocks.length - 1;
    let grad = gradOf(last);
    this.norm5.backward(ctx, bufs[last], true, dOut, grad, true);
    for (let i = last; i >= 0; i--) {
      this.blocks[i].backward(ctx, bufs[i], grad);
      if (i === 0) break;
      const prev = gradOf(i - 1);
      this.transitions[i - 1].backward(ctx, bufs[i - 1], channels(grad, 0, this.blocks[i].inChannels), prev);
      grad = prev;
    }
    this.stemBackward(ctx, x, channels(grad, 0, this.conv0.outChannels), dx);
  }

  /**
   * Eval mode, after a forward: the last dense block's output A (torchvision's features.denseblockN, before
   * norm5) and its gradient from that of the returned features out = ReLU(norm5(A)). With running statistics
   * norm5 is a fixed affine map, so dA = dOut * [out > 0] * gamma / sqrt(var + eps) (BatchNorm2d.evalBackward).
   */
  lastBlockGrad(ctx: Context, out: FeatureMap, dOut: FeatureMap): { map: FeatureMap; grad: FeatureMap } {
    const last = this.blocks.length - 1;
    const a = this.blockBuffer(ctx, last, out.n, out.h, out.w);
    const grad = { ...a, data: ctx.ws.get('grad.lastBlock', a.data.length) };
    this.norm5.evalBackward(ctx, out, true, dOut, grad);
    return { map: a, grad };
  }

  /** [H, W] of each dense block for an h x w input: the ImageNet stem divides by 4, each transition floors /2. */
  blockSizes(h: number, w: number): [number, number][] {
    if (this.pool0 !== null) {
      h = Math.floor((Math.floor((h - 1) / 2) + 1 - 1) / 2) + 1;
      w = Math.floor((Math.floor((w - 1) / 2) + 1 - 1) / 2) + 1;
    }
    const out: [number, number][] = [];
    for (let i = 0; i < this.blocks.length; i++) {
      out.push([h, w]);
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
    return out;
  }

  private stemBackward(ctx: Context, x: FeatureMap, dStem: FeatureMap, dx: FeatureMap | null): void {
    if (this.pool0 === null) {
      this.conv0.backward(ctx, x, dStem, dx);
      return;
    }
    const h = Math.floor((x.h - 1) / 2) + 1;
    const w = Math.floor((x.w - 1) / 2) + 1;
    const size = this.conv0.outChannels * x.n * h * w;
    const y = featureMap(ctx.ws.get('features.conv0.out', size), this.conv0.outChannels, x.n, h, w);
    const act = { ...y, data: ctx.ws.get('features.norm0.out', size) };
    const dAct = { ...y, data: ctx.ws.get('grad.stem.act', size) };
    this.pool0.backward(ctx, act, dStem, dAct);
    const dY = { ...y, data: ctx.ws.get('grad.stem.conv0', size) };
    this.norm0!.backward(ctx, y, true, dAct, dY, true); // overwrites: no zero-fill
    this.conv0.backward(ctx, x, dY, dx);
  }
}

export type { ForwardHooks, StepResult, TrainOptions } from './classifier-base.js';

/** DenseNet: features, global average pooling, linear classifier. */
export class DenseNet extends ConvClassifier {
  readonly family = 'densenet';
  readonly config: DenseNetConfig;
  readonly features: Features;
  readonly classifier: Linear;
  /** drives dropout; its state is part of a checkpoint */
  readonly rng: Rng;
  protected readonly poolName = 'features.pool';

  /**
   * Builds the model and initialises it as torchvision does, seeded. `init: false` leaves weights at zero
   * (BN at identity), for models whose weights are loaded next.
   */
  constructor(config: Partial<DenseNetConfig> & Pick<DenseNetConfig, 'blockConfig'>, seed = 0, opts: { init?: boolean } = {}) {
    super();
    this.config = resolveConfig(config);
    this.rng = new Rng(seed);
    const init = opts.init === false ? null : this.rng;
    this.features = this.add('features', new Features(this.config, init));
    this.classifier = this.add('classifier', new Linear(this.features.outChannels, this.config.numClasses, init));
  }

  get modelConfig(): Readonly<Record<string, unknown>> {
    return { ...this.config };
  }

  get numClasses(): number {
    return this.config.numClasses;
  }

  get inChannels(): number {
    return this.config.inChannels;
  }

  get defaultInput(): [number, number, number] {
    const size = this.config.stem === 'imagenet' ? 224 : 32;
    return [this.config.inChannels, size, size];
  }

  protected get head(): Linear {
    return this.classifier;
  }

  protected body(ctx: Context, x: FeatureMap): FeatureMap {
    return this.features.forward(ctx, x);
  }

  protected bodyBackward(ctx: Context, x: FeatureMap, dFeatures: FeatureMap, dx: FeatureMap | null): void {
    this.features.backward(ctx, x, dFeatures, dx);
  }

  /** scoreGrad explains the last dense block's output (Grad-CAM's choice for DenseNets). */
  protected override explainBackward(ctx: Context, f: FeatureMap, df: FeatureMap): { map: FeatureMap; grad: FeatureMap } {
    return this.features.lastBlockGrad(ctx, f, df);
  }

  /** Validates an NCHW input shape: rank, channels, and a size every downsampling step can take. */
  checkInput(shape: Shape): [number, number, number, number] {
    if (shape.length !== 4) throw new Error(`densenet: input must be [N, C, H, W], got ${shapeStr(shape)}`);
    const [n, c, h, w] = shape;
    if (c !== this.config.inChannels) {
      throw new Error(`densenet: input has ${c} channels but the model expects ${this.config.inChannels} (input ${shapeStr(shape)})`);
    }
    if (n < 1) throw new Error(`densenet: empty batch (input ${shapeStr(shape)})`);
    const min = this.minInputSize();
    if (h < min || w < min) throw new Error(`densenet: input ${h}x${w} is too small; this model needs at least ${min}x${min}`);
    return [n, c, h, w];
  }

  /** Smallest H (= W) for which every transition still has a 2x2 window to pool. */
  minInputSize(): number {
    let s = 1;
    while (this.features.blockSizes(s, s).some(([h]) => h < 1)) s++;
    return s;
  }
}
