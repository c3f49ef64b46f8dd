/**
 * A trainable tensor with its gradient buffer (allocated on first backward, then reused every step).
 * Gradients are overwritten by each backward pass (every parameter is used once per forward in these models).
 */
import { Tensor, type Shape } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  private gradBuf: Float32Array | null = null;

  constructor(data: Float32Array, shape: Shape) {
    super(data, shape);
  }

  /** The gradient buffer, allocated (zeroed) on first use. */
  get grad(): Float32Array {
    if (this.gradBuf === null) this.gradBuf = new Float32Array(this.size);
    return this.gradBuf;
  }

  get hasGrad(): boolean {
    return this.gradBuf !== null;
  }

  static zerosParam(shape: Shape): Parameter {
    const t = Tensor.zeros(shape);
    return new Parameter(t.data, shape);
  }
}
