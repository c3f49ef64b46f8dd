/**
 * The pre-activation residual unit (He et al. 2016, "Identity Mappings in Deep Residual Networks", Fig. 1b and 4e):
 * basic BN-ReLU-conv3x3(stride)-BN-ReLU-conv3x3, bottleneck BN-ReLU-conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(4x),
 * plus the identity, or where the shape changes a 1x1 projection `shortcut` of the pre-activated input. No ReLU
 * after the sum. Names follow reference/make_resnet_fixtures.py (bn1 conv1 bn2 conv2 [bn3 conv3] shortcut).
 */
import { BatchNorm2d } from '../nn/batchnorm.js';
import { kept, keptIfNaive, type Context, type FeatureMap } from '../nn/context.js';
import type { Conv2d } from '../nn/conv.js';
import { Module } from '../nn/module.js';
import { addInto, residualAdd } from '../nn/residual.js';
import type { Rng } from '../tensor/rng.js';
import { convOut, mapAt, resConv, type Dims, type ResidualBlock } from './resnet-block.js';

export class PreActBlock extends Module implements ResidualBlock {
  readonly bns: BatchNorm2d[] = [];
  readonly convs: Conv2d[] = [];
  readonly shortcut: Conv2d | null;
  readonly outChannels: number;

  constructor(readonly inChannels: number, planes: number, readonly stride: number, readonly bottleneck: boolean, rng: Rng | null) {
    super();
    this.outChannels = bottleneck ? 4 * planes : planes;
    // [cin, cout, kernel, stride] per stage
    const stages: [number, number, number, number][] = bottleneck
      ? [[inChannels, planes, 1, 1], [planes, planes, 3, stride], [planes, 4 * planes, 1, 1]]
      : [[inChannels, planes, 3, stride], [planes, planes, 3, 1]];
    stages.forEach(([ci, co, k, s], i) => {
      this.bns.push(this.add(`bn${i + 1}`, new BatchNorm2d(ci)));
      this.convs.push(this.add(`conv${i + 1}`, resConv(ci, co, k, s, rng)));
    });
    const project = stride !== 1 || inChannels !== this.outChannels;
    this.shortcut = project ? this.add('shortcut', resConv(inChannels, this.outChannels, 1, stride, rng)) : null;
  }

  /** x: [C_in][N][H][W] -> branch(x) + shortcut(x), written into `out` [C_out][N][H/s][W/s]. */
  forward(ctx: Context, x: FeatureMap, out: Float32Array): FeatureMap {
    const last = this.convs.length - 1;
    let h = x;
    let a0 = x;
    for (let i = 0; i <= last; i++) {
      const a = this.bns[i].forward(ctx, h, true, this.actMap(ctx, i, h).data);
      if (i === 0) a0 = a;
      h = this.convs[i].forward(ctx, a, i === last ? out : this.convMap(ctx, i, convOut(this.convs[i], a)).data);
    }
    if (this.shortcut === null) residualAdd(this.path, h, x);
    else residualAdd(this.path, h, this.shortcut.forward(ctx, a0, ctx.ws.get('res.sc', h.data.length)));
    ctx.trace?.({ path: this.path, kind: 'ResidualBlock', out: [h.n, h.c, h.h, h.w], macs: 0 });
    return h;
  }

  /** dy is read only; dx ACCUMULATES (identity: dy itself; projection and branch: through BN1). */
  backward(ctx: Context, x: FeatureMap, _y: FeatureMap, dy: FeatureMap, dx: FeatureMap): void {
    const last = this.convs.length - 1;
    const ins: Dims[] = [x]; // stage i's input shape (x, then the conv outputs), as in forward
    for (let i = 0; i < last; i++) ins.push(convOut(this.convs[i], ins[i]));
    if (this.shortcut === null) addInto(dx.data, dy.data);
    let dOut = dy;
    for (let i = last; i >= 0; i--) {
      const inp = i === 0 ? x : this.convMap(ctx, i - 1, ins[i]);
      const a = this.act(ctx, i, inp);
      const da = mapAt(ctx, 'grad.res.a', ins[i], true);
      if (i === 0 && this.shortcut !== null) this.shortcut.backward(ctx, a, dy, da);
      this.convs[i].backward(ctx, a, dOut, da);
      const dIn = i === 0 ? dx : mapAt(ctx, `grad.res.c${(i - 1) % 2}`, ins[i], true);
      this.bns[i].backward(ctx, inp, true, da, dIn);
      dOut = dIn;
    }
  }

  /** Conv i's output (shape d), the next stage's BN input: kept per block while training. */
  private convMap(ctx: Context, i: number, d: Dims): FeatureMap {
    return mapAt(ctx, kept(ctx, `${this.path}.c${i}`, `res.c${i}`), d);
  }

  /** BN-ReLU output i (conv i's input): recomputed in memory-efficient training, else kept. */
  private actMap(ctx: Context, i: number, d: Dims): FeatureMap {
    return mapAt(ctx, keptIfNaive(ctx, `${this.path}.a${i}`, `res.a${i}`), d);
  }

  private act(ctx: Context, i: number, inp: FeatureMap): FeatureMap {
    const a = this.actMap(ctx, i, inp);
    return ctx.memoryEfficient ? this.bns[i].recompute(ctx, inp, true, a.data) : a;
  }
}
