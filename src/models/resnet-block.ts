/**
 * torchvision's residual blocks (He et al. 2015, "Deep Residual Learning", Fig. 2 and 5), post-activation:
 * BasicBlock conv3x3(stride)-BN-ReLU-conv3x3-BN, Bottleneck conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(4x)-BN
 * (stride on the 3x3: torchvision's "v1.5"); then + identity or downsample (conv1x1(stride)-BN), then ReLU.
 * Names are torchvision's (conv1 bn1 conv2 bn2 [conv3 bn3] relu downsample.0 downsample.1). Not the pre-act block.
 */
import { outSize } from '../backend/backend.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { backwardOps, featureMap, kept, keptIfNaive, type Context, type FeatureMap } from '../nn/context.js';
import { Conv2d } from '../nn/conv.js';
import { kaimingNormal } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { ReLU } from '../nn/pool.js';
import { addInto, residualAdd } from '../nn/residual.js';
import type { Rng } from '../tensor/rng.js';

/** What ResNet needs of a block: forward into a caller's buffer, backward with dx ACCUMULATED. */
export interface ResidualBlock extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
  forward(ctx: Context, x: FeatureMap, out: Float32Array): FeatureMap;
  /** x, y: the last training forward's input and output; dy may be overwritten; dx accumulates. */
  backward(ctx: Context, x: FeatureMap, y: FeatureMap, dy: FeatureMap, dx: FeatureMap): void;
}

export interface Dims {
  c: number;
  n: number;
  h: number;
  w: number;
}

/** A convolution without bias, initialised as torchvision's ResNet does (Kaiming normal, fan_out, ReLU gain). */
export function resConv(cin: number, cout: number, k: number, stride: number, rng: Rng | null): Conv2d {
  const conv = new Conv2d(cin, cout, k, null, { stride, padding: (k - 1) / 2 });
  if (rng !== null) kaimingNormal(conv.weight.data, cout * k * k, rng);
  return conv;
}

/** The output shape of `conv` for an input of shape x. */
export function convOut(conv: Conv2d, x: Dims): Dims {
  return { c: conv.outChannels, n: x.n, h: outSize(x.h, conv.kernel, conv.stride, conv.padding), w: outSize(x.w, conv.kernel, conv.stride, conv.padding) };
}

/** Workspace slot `slot` viewed as a feature map of shape d (zeroed with `zero`). */
export function mapAt(ctx: Context, slot: string, d: Dims, zero = false): FeatureMap {
  const size = d.c * d.n * d.h * d.w;
  return featureMap(zero ? ctx.ws.zeros(slot, size) : ctx.ws.get(slot, size), d.c, d.n, d.h, d.w);
}

/** torchvision's `downsample`: nn.Sequential(conv1x1(stride), BatchNorm2d), so its children are named 0 and 1. */
export class Downsample extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(cin: number, cout: number, stride: number, rng: Rng | null) {
    super();
    this.conv = this.add('0', resConv(cin, cout, 1, stride, rng));
    this.bn = this.add('1', new BatchNorm2d(cout));
  }
}

/** BasicBlock (`bottleneck` false) or Bottleneck (true) of torchvision, one class: a chain of conv-BN stages. */
export class PostActBlock extends Module implements ResidualBlock {
  readonly convs: Conv2d[] = [];
  readonly bns: BatchNorm2d[] = [];
  readonly relu: ReLU;
  readonly downsample: Downsample | null;
  readonly outChannels: number;

  constructor(readonly inChannels: number, planes: number, readonly stride: number, readonly bottleneck: boolean, rng: Rng | null) {
    super();
    this.outChannels = bottleneck ? 4 * planes : planes;
    // [cin, cout, kernel, stride] per stage
    const stages: [number, number, number, number][] = bottleneck
      ? [[inChannels, planes, 1, 1], [planes, planes, 3, stride], [planes, 4 * planes, 1, 1]]
      : [[inChannels, planes, 3, stride], [planes, planes, 3, 1]];
    stages.forEach(([ci, co, k, s], i) => {
      this.convs.push(this.add(`conv${i + 1}`, resConv(ci, co, k, s, rng)));
      this.bns.push(this.add(`bn${i + 1}`, new BatchNorm2d(co)));
    });
    this.relu = this.add('relu', new ReLU());
    const project = stride !== 1 || inChannels !== this.outChannels;
    this.downsample = project ? this.add('downsample', new Downsample(inChannels, this.outChannels, stride, rng)) : null;
  }

  /** x: [C_in][N][H][W] -> ReLU(branch(x) + shortcut(x)) written into `out` [C_out][N][H/s][W/s]. */
  forward(ctx: Context, x: FeatureMap, out: Float32Array): FeatureMap {
    const last = this.convs.length - 1;
    let h = x;
    let y: FeatureMap | null = null;
    for (let i = 0; i <= last; i++) {
      const c = this.convs[i].forward(ctx, h, this.convMap(ctx, i, convOut(this.convs[i], h)).data);
      // inference normalises in place; training keeps the conv output for the BN backward
      if (i < last) h = this.bns[i].forward(ctx, c, true, ctx.training ? this.actMap(ctx, i, c).data : c.data);
      else y = this.bns[i].forward(ctx, c, false, out);
    }
    const ds = this.downsample;
    if (ds === null) residualAdd(this.path, y!, x);
    else {
      const d = ds.conv.forward(ctx, x, mapAt(ctx, kept(ctx, `${this.path}.ds`, 'res.ds'), convOut(ds.conv, x)).data);
      residualAdd(this.path, y!, ds.bn.forward(ctx, d, false, ctx.training ? ctx.ws.get('res.dsn', d.data.length) : d.data));
    }
    ctx.backend.relu(y!.data.length, y!.data, y!.data);
    ctx.trace?.({ path: this.path, kind: 'ResidualBlock', out: [y!.n, y!.c, y!.h, y!.w], macs: 0 });
    return y!;
  }

  backward(ctx: Context, x: FeatureMap, y: FeatureMap, dy: FeatureMap, dx: FeatureMap): void {
    backwardOps(ctx).relu(y.data.length, y.data, dy.data, dy.data); // dy now holds the gradient of the sum
    const ds = this.downsample;
    if (ds === null) addInto(dx.data, dy.data);
    else {
      const d = mapAt(ctx, `${this.path}.ds`, convOut(ds.conv, x));
      const dd = mapAt(ctx, 'grad.res.ds', d, true);
      ds.bn.backward(ctx, d, false, dy, dd);
      ds.conv.backward(ctx, x, dd, dx);
    }
    const outs: Dims[] = []; // conv i's output shape, as in forward
    for (const conv of this.convs) outs.push(convOut(conv, outs.length === 0 ? x : outs[outs.length - 1]));
    let dOut = dy;
    for (let i = this.convs.length - 1; i >= 0; i--) {
      const dc = mapAt(ctx, 'grad.res.c', outs[i], true);
      this.bns[i].backward(ctx, this.convMap(ctx, i, outs[i]), i < this.convs.length - 1, dOut, dc);
      const inp = i === 0 ? x : this.act(ctx, i - 1, outs[i - 1]);
      const dIn = i === 0 ? dx : mapAt(ctx, `grad.res.a${i - 1}`, outs[i - 1], true);
      this.convs[i].backward(ctx, inp, dc, dIn);
      dOut = dIn;
    }
  }

  /** Conv i's output (shape d): kept per block while training (its BN backward reads it), shared scratch otherwise. */
  private convMap(ctx: Context, i: number, d: Dims): FeatureMap {
    return mapAt(ctx, kept(ctx, `${this.path}.c${i}`, `res.c${i}`), d);
  }

  /** BN-ReLU output i (conv i+1's input, shape d): recomputed in memory-efficient training, else kept. */
  private actMap(ctx: Context, i: number, d: Dims): FeatureMap {
    return mapAt(ctx, keptIfNaive(ctx, `${this.path}.a${i}`, `res.a${i}`), d);
  }

  private act(ctx: Context, i: number, d: Dims): FeatureMap {
    const a = this.actMap(ctx, i, d);
    return ctx.memoryEfficient ? this.bns[i].recompute(ctx, this.convMap(ctx, i, d), true, a.data) : a;
  }
}
