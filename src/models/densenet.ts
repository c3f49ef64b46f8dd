/**
 * DenseNet (Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks", CVPR 2017).
 * One general model with the paper's options; parameter names are torchvision's so its weights load as they are.
 * Feature maps are channel-major inside (backend.ts): a dense block is one buffer that each layer appends k rows
 * to, so the concatenation of Eq. 2 is free. Speed belongs to the engine, not to this file.
 */
import type { Backend } from '../backend/backend.js';
import { nchwToCnhw } from '../tensor/layout.js';
import { Rng } from '../tensor/rng.js';
import { Tensor, shapeStr, type Shape } from '../tensor/tensor.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { channels, featureMap, Workspace, type Context, type FeatureMap, type Tracer } from '../nn/context.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { AvgPool2d, Dropout, MaxPool2d, ReLU } from '../nn/pool.js';
import { type DenseNetConfig, resolveConfig } from './config.js';

/**
 * H_l, the composite function of layer l (Sec. 3): BN-ReLU-Conv3x3(k), or with the bottleneck of DenseNet-B
 * BN-ReLU-Conv1x1(bnSize*k)-BN-ReLU-Conv3x3(k). Reads all l preceding feature maps, adds k new ones.
 */
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
    // torchvision drops the k new features only (F.dropout after conv2, no module of its own)
    this.drop = new Dropout(dropRate);
  }

  /** x_l = H_l([x_0, ..., x_{l-1}]): reads `inputs` [C_in][N][H][W], writes k channels into `out`. */
  forward(ctx: Context, inputs: FeatureMap, out: FeatureMap): void {
    const { n, h, w } = inputs;
    const act = this.norm1.forward(ctx, inputs, true, ctx.ws.get('bnrelu', inputs.c * n * h * w));
    if (this.conv2 === null) {
      this.drop.forward(ctx, this.conv1.forward(ctx, act, out.data));
      return;
    }
    const mid = this.conv1.forward(ctx, act, ctx.ws.get('bottleneck', this.conv1.outChannels * n * h * w));
    this.norm2!.forward(ctx, mid, true, mid.data);
    this.drop.forward(ctx, this.conv2.forward(ctx, mid, out.data));
  }
}

/** A dense block (Eq. 2): layer l sees the concatenation of the block input and every earlier layer's output. */
export class DenseBlock extends Module {
  readonly layers: DenseLayer[] = [];
  readonly outChannels: number;

  constructor(readonly inChannels: number, numLayers: number, readonly growthRate: number, bottleneck: boolean, bnSize: number, dropRate: number, rng: Rng | null) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(this.add(`denselayer${i + 1}`, new DenseLayer(inChannels + i * growthRate, growthRate, bottleneck, bnSize, dropRate, rng)));
    }
    this.outChannels = inChannels + numLayers * growthRate;
  }

  /** The block's buffer: [C_in + L*k][N][H][W]; whoever produces the block input writes its first C_in rows. */
  buffer(ctx: Context, slot: string, n: number, h: number, w: number): FeatureMap {
    return featureMap(ctx.ws.get(slot, this.outChannels * n * h * w), this.outChannels, n, h, w);
  }

  /** Runs every layer in place: layer l appends its k rows after the l*k rows before it. No copies. */
  forward(ctx: Context, buf: FeatureMap): FeatureMap {
    let c = this.inChannels;
    for (const layer of this.layers) {
      layer.forward(ctx, channels(buf, 0, c), channels(buf, c, this.growthRate));
      c += this.growthRate;
    }
    ctx.trace?.({ path: this.path, kind: 'DenseBlock', out: [buf.n, buf.c, buf.h, buf.w], macs: 0 });
    return buf;
  }
}

/** Transition layer (Sec. 3, "Pooling layers"; DenseNet-C): BN-ReLU-Conv1x1(floor(theta*C))-AvgPool 2x2. */
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

  forward(ctx: Context, x: FeatureMap, out: Float32Array): FeatureMap {
    const act = this.norm.forward(ctx, x, true, ctx.ws.get('bnrelu', x.c * x.n * x.h * x.w));
    const y = this.conv.forward(ctx, act, ctx.ws.get('bottleneck', this.outChannels * x.n * x.h * x.w));
    return this.pool.forward(ctx, y, out);
  }
}

/** The stem before the first block: ImageNet 7x7/2 conv, BN-ReLU, 3x3/2 max pool; CIFAR one 3x3 conv. */
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

  /** x: [C_in][N][H][W] -> ReLU(norm5(...)): [C_out][N][H/32][W/32] (ImageNet stem) or [H/4] (CIFAR). */
  forward(ctx: Context, x: FeatureMap): FeatureMap {
    const { n } = x;
    const slots = ['blockA', 'blockB'];
    let y: FeatureMap;
    // stem: its last op writes straight into the first block's buffer
    if (this.pool0 !== null) {
      const c0 = this.conv0.forward(ctx, x, ctx.ws.get('stem', this.conv0.outChannels * n * x.h * x.w));
      this.norm0!.forward(ctx, c0, true, c0.data);
      const h = Math.floor((c0.h - 1) / 2) + 1;
      const w = Math.floor((c0.w - 1) / 2) + 1;
      y = this.pool0.forward(ctx, c0, this.blocks[0].buffer(ctx, slots[0], n, h, w).data);
    } else {
      y = this.conv0.forward(ctx, x, this.blocks[0].buffer(ctx, slots[0], n, x.h, x.w).data);
    }
    ctx.tap?.(this.pool0 !== null ? 'features.pool0' : 'features.conv0', y);
    let buf = this.blocks[0].buffer(ctx, slots[0], n, y.h, y.w);
    for (let i = 0; i < this.blocks.length; i++) {
      buf = this.blocks[i].forward(ctx, buf);
      ctx.tap?.(this.blocks[i].path, buf);
      if (i === this.transitions.length) break;
      const t = this.transitions[i];
      const next = this.blocks[i + 1].buffer(ctx, slots[(i + 1) % 2], n, Math.floor(buf.h / 2), Math.floor(buf.w / 2));
      const pooled = t.forward(ctx, buf, next.data);
      ctx.tap?.(t.path, pooled);
      buf = next;
    }
    // torchvision applies F.relu after features.norm5; we fuse it
    return this.norm5.forward(ctx, buf, true, ctx.ws.get('norm5', buf.c * n * buf.h * buf.w));
  }
}

export interface ForwardHooks {
  trace?: Tracer;
  tap?: (path: string, x: FeatureMap) => void;
}

/** DenseNet: features, global average pooling, linear classifier. */
export class DenseNet extends Module {
  readonly config: DenseNetConfig;
  readonly features: Features;
  readonly classifier: Linear;
  private readonly ws = new Workspace();
  private readonly rng: Rng;

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

  /** x: [N, C, H, W] -> logits [N, numClasses] (PyTorch's layout at the API; channel-major inside). */
  forward(x: Tensor, backend: Backend, hooks: ForwardHooks = {}): Tensor {
    const [n, c, h, w] = this.checkInput(x.shape);
    const input = featureMap(nchwToCnhw(x.data, n, c, h, w), c, n, h, w);
    const ctx: Context = { backend, training: this.training, ws: this.ws, rng: this.rng, ...hooks };
    const logits = new Float32Array(n * this.config.numClasses);
    this.forwardCNHW(ctx, input, logits);
    return new Tensor(logits, [n, this.config.numClasses]);
  }

  /** Bytes the engine holds for intermediate feature maps (grows to the largest input seen, then reused). */
  workspaceBytes(): number {
    return 4 * this.ws.floats();
  }

  /** Validates an NCHW input against the model: rank, channels, and a size every downsampling step can take. */
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
    const downsamples = this.features.transitions.length;
    for (let s = 1; ; s++) {
      let h = s;
      if (this.config.stem === 'imagenet') h = Math.floor((Math.floor((h - 1) / 2) + 1 - 1) / 2) + 1;
      let ok = true;
      for (let t = 0; t < downsamples; t++) {
        if (h < 2) ok = false;
        h = Math.floor(h / 2);
      }
      if (ok) return s;
    }
  }

  /** x: [C][N][H][W] (channel-major) -> logits [N][numClasses] written into `out`. */
  forwardCNHW(ctx: Context, x: FeatureMap, out: Float32Array): Float32Array {
    const f = this.features.forward(ctx, x);
    const pooled = ctx.ws.get('pooled', f.n * f.c);
    ctx.backend.globalAvgPool(f.c, f.n, f.h * f.w, f.data, pooled);
    ctx.trace?.({ path: 'features.pool', kind: 'GlobalAvgPool', out: [f.n, f.c, 1, 1], macs: 0 });
    return this.classifier.forward(ctx, f.n, pooled, out);
  }
}
