/** Linear layer y = x W^T + b with PyTorch's layout (weight [out][in]) and default init. Rows are samples. */
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import { backwardOps, type Context } from './context.js';
import { uniform } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng | null) {
    super();
    this.weight = this.addParam('weight', Tensor.zeros([outFeatures, inFeatures]));
    if (rng !== null) uniform(this.weight.data, 1 / Math.sqrt(inFeatures), rng);
    // torchvision's DenseNet sets the classifier bias to 0 (PyTorch's default would be uniform)
    this.bias = this.addParam('bias', Tensor.zeros([outFeatures]));
  }

  /** x: [n][in] -> out: [n][outFeatures]. */
  forward(ctx: Context, n: number, x: Float32Array, out: Float32Array): Float32Array {
    if (x.length !== n * this.inFeatures) {
      throw new Error(`${this.path || 'linear'}: input has ${x.length / n} features per sample but the layer expects ${this.inFeatures}`);
    }
    const y = out.subarray(0, n * this.outFeatures);
    ctx.backend.linear(n, this.inFeatures, this.outFeatures, x, this.weight.data, this.bias.data, y);
    ctx.trace?.({ path: this.path, kind: 'Linear', out: [n, this.outFeatures, 1, 1], macs: n * this.inFeatures * this.outFeatures });
    return y;
  }

  /**
   * Backward: weight.grad and bias.grad overwritten (or `dw`, `db` when given: scratch for callers that want only
   * dx and must leave the parameters' gradients alone); dx [n][in] overwritten when given.
   */
  backward(ctx: Context, n: number, x: Float32Array, dy: Float32Array, dx: Float32Array | null,
    dw: Float32Array = this.weight.grad, db: Float32Array | null = this.bias.grad): void {
    backwardOps(ctx).linear(n, this.inFeatures, this.outFeatures, x, this.weight.data, dy, dx, dw, db);
  }
}
