/**
 * ResNet, the baseline DenseNet is compared against (Huang et al. 2017, Tables 2 and 3), built from the same layers
 * and engine: the CIFAR pre-activation ResNet (He et al. 2016, "Identity Mappings in Deep Residual Networks") and
 * torchvision's ImageNet ResNet (He et al. 2015), whose state_dict loads with no renaming. Channel-major inside,
 * NCHW at the edges, like DenseNet. Not: wide/grouped ResNets (ResNeXt), dilation, zero-init-residual.
 */
import { outSize } from '../backend/backend.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { kept, type Context, type FeatureMap } from '../nn/context.js';
import type { Conv2d } from '../nn/conv.js';
import { uniform } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { MaxPool2d, ReLU } from '../nn/pool.js';
import { Rng } from '../tensor/rng.js';
import { shapeStr, type Shape } from '../tensor/tensor.js';
import { ConvClassifier } from './classifier-base.js';
import { PostActBlock, convOut, mapAt, resConv, type ResidualBlock } from './resnet-block.js';
import { resolveResNetConfig, type ResNetConfig, type ResNetConfigInput } from './resnet-config.js';
import { PreActBlock } from './resnet-preact-block.js';

export { PostActBlock, Downsample } from './resnet-block.js';
export { PreActBlock } from './resnet-preact-block.js';
export { resolveResNetConfig, resnetDepth, type ResNetConfig, type ResNetConfigInput } from './resnet-config.js';

/** One stage (`layer{i}`): blocks named 0, 1, ... as in torchvision's nn.Sequential. */
export class ResLayer extends Module {
  readonly blocks: ResidualBlock[] = [];

  constructor(cfg: ResNetConfig, inChannels: number, stage: number, rng: Rng | null) {
    super();
    let c = inChannels;
    for (let j = 0; j < cfg.layers[stage]; j++) {
      const stride = stage > 0 && j === 0 ? 2 : 1;
      const bottleneck = cfg.block === 'bottleneck';
      const b = cfg.kind === 'imagenet' ? new PostActBlock(c, cfg.widths[stage], stride, bottleneck, rng) : new PreActBlock(c, cfg.widths[stage], stride, bottleneck, rng);
      this.blocks.push(this.add(String(j), b));
      c = b.outChannels;
    }
  }
}

/** What one training forward leaves for backward: the stem's intermediates and every block's input and output. */
interface Trail {
  x: FeatureMap;
  conv1?: FeatureMap;
  act1?: FeatureMap;
  ins: FeatureMap[];
  outs: FeatureMap[];
}

export class ResNet extends ConvClassifier {
  readonly family = 'resnet';
  readonly config: ResNetConfig;
  readonly conv1: Conv2d;
  /** ImageNet stem only: bn1, relu, maxpool */
  readonly bn1: BatchNorm2d | null = null;
  readonly maxpool: MaxPool2d | null = null;
  readonly layers: ResLayer[] = [];
  readonly blocks: ResidualBlock[] = [];
  /** pre-act only: the final BN-ReLU (the last unit ends in a sum, He et al. 2016 Sec. 4) */
  readonly bn: BatchNorm2d | null = null;
  readonly fc: Linear;
  readonly rng: Rng;
  protected readonly poolName = 'avgpool';
  /** what the last training forward left for backward */
  private trail: Trail | null = null;

  /** Builds and initialises as torchvision does (seeded); `init: false` leaves zeros for weights about to be loaded. */
  constructor(config: ResNetConfigInput, seed = 0, opts: { init?: boolean } = {}) {
    super();
    const cfg = (this.config = resolveResNetConfig(config));
    this.rng = new Rng(seed);
    const rng = opts.init === false ? null : this.rng;
    const imagenet = cfg.kind === 'imagenet';
    this.conv1 = this.add('conv1', resConv(cfg.inChannels, cfg.widths[0], imagenet ? 7 : 3, imagenet ? 2 : 1, rng));
    if (imagenet) {
      this.bn1 = this.add('bn1', new BatchNorm2d(cfg.widths[0]));
      this.add('relu', new ReLU());
      this.maxpool = this.add('maxpool', new MaxPool2d(3, 2, 1));
    }
    let c = cfg.widths[0];
    for (let i = 0; i < cfg.layers.length; i++) {
      const layer = this.add(`layer${i + 1}`, new ResLayer(cfg, c, i, rng));
      this.layers.push(layer);
      this.blocks.push(...layer.blocks);
      c = layer.blocks[layer.blocks.length - 1].outChannels;
    }
    if (!imagenet) this.bn = this.add('bn', new BatchNorm2d(c));
    this.fc = this.add('fc', new Linear(c, cfg.numClasses, rng));
    if (rng !== null) uniform(this.fc.bias.data, 1 / Math.sqrt(c), rng); // nn.Linear's default bias (torchvision keeps it)
  }

  get modelConfig(): Readonly<Record<string, unknown>> {
    return { ...this.config, layers: [...this.config.layers], widths: [...this.config.widths] };
  }

  get numClasses(): number {
    return this.config.numClasses;
  }

  get defaultInput(): [number, number, number] {
    const size = this.config.kind === 'imagenet' ? 224 : 32;
    return [this.config.inChannels, size, size];
  }

  get inChannels(): number {
    return this.config.inChannels;
  }

  /** Channels of the features the classifier reads. */
  get featureChannels(): number {
    return this.fc.inFeatures;
  }

  protected get head(): Linear {
    return this.fc;
  }

  /** The gradient of the body's output back to its input (see ConvClassifier). */
  protected bodyBackward(ctx: Context, input: FeatureMap, dFeatures: FeatureMap, dx: FeatureMap | null): void {
    const t = this.trail;
    if (t === null) throw new Error('resnet: backward without a training forward');
    const L = this.blocks.length;
    const last = t.outs[L - 1];
    let dOut = dFeatures;
    if (this.bn !== null) {
      dOut = mapAt(ctx, `grad.res${(L - 1) & 1}`, last, true);
      this.bn.backward(ctx, last, true, dFeatures, dOut);
    }
    for (let j = L - 1; j >= 0; j--) {
      const dIn = mapAt(ctx, `grad.res${(j + 1) & 1}`, t.ins[j], true);
      this.blocks[j].backward(ctx, t.ins[j], t.outs[j], dOut, dIn);
      dOut = dIn;
    }
    if (this.bn1 === null) this.conv1.backward(ctx, input, dOut, dx);
    else {
      const dAct = mapAt(ctx, 'grad.stem.act', t.act1!);
      this.maxpool!.backward(ctx, t.act1!, dOut, dAct);
      const dC = mapAt(ctx, 'grad.stem.conv1', t.conv1!, true);
      this.bn1.backward(ctx, t.conv1!, true, dAct, dC);
      this.conv1.backward(ctx, input, dC, dx);
    }
  }

  /**
   * x: [C][N][H][W] -> the activated features. Block outputs alternate two slots in inference (a block reads
   * one, writes the other); training keeps each, since backward reads them all.
   */
  protected body(ctx: Context, x: FeatureMap): FeatureMap {
    const t: Trail = { x, ins: [], outs: [] };
    let h: FeatureMap;
    if (this.bn1 === null) h = this.conv1.forward(ctx, x, mapAt(ctx, kept(ctx, 'conv1.out', 'resA'), convOut(this.conv1, x)).data);
    else {
      const c = (t.conv1 = this.conv1.forward(ctx, x, mapAt(ctx, kept(ctx, 'conv1.out', 'stem'), convOut(this.conv1, x)).data));
      const a = (t.act1 = this.bn1.forward(ctx, c, true, ctx.training ? ctx.ws.get('bn1.out', c.data.length) : c.data));
      const mp = this.maxpool!;
      const dims = { c: a.c, n: a.n, h: outSize(a.h, mp.kernel, mp.stride, mp.padding), w: outSize(a.w, mp.kernel, mp.stride, mp.padding) };
      h = mp.forward(ctx, a, mapAt(ctx, kept(ctx, 'maxpool.out', 'resA'), dims).data);
    }
    ctx.tap?.(this.bn1 === null ? 'conv1' : 'maxpool', h);
    let j = 0;
    for (const layer of this.layers) {
      for (const b of layer.blocks) {
        t.ins.push(h);
        // every strided conv of a block is 3x3 pad 1 or 1x1 pad 0: both give floor((h - 1) / s) + 1
        const dims = { c: b.outChannels, n: h.n, h: outSize(h.h, 1, b.stride, 0), w: outSize(h.w, 1, b.stride, 0) };
        h = b.forward(ctx, h, mapAt(ctx, kept(ctx, `${b.path}.out`, j++ % 2 === 0 ? 'resB' : 'resA'), dims).data);
        t.outs.push(h);
      }
      ctx.tap?.(layer.path, h);
    }
    this.trail = ctx.training ? t : null;
    return this.bn === null ? h : this.bn.forward(ctx, h, true, ctx.ws.get('features', h.data.length));
  }

  /** Validates an NCHW input shape (every stride-2 step of a ResNet pads, so any H, W >= 1 works). */
  checkInput(shape: Shape): [number, number, number, number] {
    if (shape.length !== 4) throw new Error(`resnet: input must be [N, C, H, W], got ${shapeStr(shape)}`);
    const [n, c, h, w] = shape;
    if (c !== this.config.inChannels) {
      throw new Error(`resnet: input has ${c} channels but the model expects ${this.config.inChannels} (input ${shapeStr(shape)})`);
    }
    if (n < 1 || h < 1 || w < 1) throw new Error(`resnet: empty input ${shapeStr(shape)}`);
    return [n, c, h, w];
  }
}
