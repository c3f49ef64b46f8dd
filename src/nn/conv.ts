/**
 * Conv2d (groups 1, dilation 1), PyTorch's parameter layout weight [Cout][Cin][k][k] and optional bias.
 * `rng` null skips initialisation (weights about to be loaded). Runs on channel-major feature maps; the backend turns 1x1 stride-1 convolutions into one GEMM.
 */
import { convGeometry, type ConvPre } from '../backend/backend.js';
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import { backwardOps, featureMap, type Context, type FeatureMap } from './context.js';
import { kaimingNormal } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: number;
  readonly padding: number;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, rng: Rng | null, opts: Conv2dOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.weight = this.addParam('weight', Tensor.zeros([outChannels, inChannels, kernel, kernel]));
    if (rng !== null) kaimingNormal(this.weight.data, inChannels * kernel * kernel, rng);
    this.bias = opts.bias ? this.addParam('bias', Tensor.zeros([outChannels])) : null;
  }

  /**
   * y = conv(x), written into `out` (at least Cout*N*Ho*Wo floats). x: [Cin][N][H][W] -> [Cout][N][Ho][Wo].
   * With `pre` the convolution reads pre(x) (the preceding BN-ReLU, fused: backend.ts ConvPre).
   */
  forward(ctx: Context, x: FeatureMap, out: Float32Array, pre: ConvPre | null = null): FeatureMap {
    if (x.c !== this.inChannels) {
      throw new Error(`${this.path || 'conv2d'}: input has ${x.c} channels but weight expects ${this.inChannels} (weight [${this.weight.shape.join(',')}])`);
    }
    const g = convGeometry(x.n, x.c, x.h, x.w, this.outChannels, this.kernel, this.stride, this.padding);
    if (g.ho < 1 || g.wo < 1) {
      throw new Error(`${this.path || 'conv2d'}: input ${x.h}x${x.w} is too small for a ${this.kernel}x${this.kernel} kernel (stride ${this.stride}, padding ${this.padding})`);
    }
    const y = featureMap(out, g.cout, g.n, g.ho, g.wo);
    if (!ctx.training) g.winograd = true; // inference: Winograd where it wins (backend.ts ConvGeometry.winograd)
    ctx.backend.conv2d(g, x.data, this.weight.data, this.bias?.data ?? null, y.data, pre);
    ctx.trace?.({ path: this.path, kind: `Conv2d ${this.kernel}x${this.kernel}/${this.stride}`, out: [g.n, g.cout, g.ho, g.wo], macs: g.n * g.cout * g.ho * g.wo * g.cin * g.kh * g.kw });
    return y;
  }

  /**
   * Backward: weight.grad (and bias.grad) overwritten; dx, if given, ACCUMULATES the input gradient.
   * x is the forward input (the caller keeps or recomputes it), dy: [Cout][N][Ho][Wo]. With the forward's
   * `pre`, x is the untransformed input and dx the gradient w.r.t. pre(x). With `overwriteDx`, dx is
   * overwritten instead of accumulated (a fresh gradient buffer needs no zero-fill).
   */
  backward(ctx: Context, x: FeatureMap, dy: FeatureMap, dx: FeatureMap | null, pre: ConvPre | null = null, overwriteDx = false): void {
    const g = convGeometry(x.n, x.c, x.h, x.w, this.outChannels, this.kernel, this.stride, this.padding);
    backwardOps(ctx).conv2d(g, x.data, this.weight.data, dy.data, dx?.data ?? null, this.weight.grad, this.bias?.grad ?? null, pre, overwriteDx);
  }
}
