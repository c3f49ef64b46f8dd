/**
 * Tensor: a shape over a Float32Array (float32 only, contiguous, row-major). No math lives here:
 * ops are in src/backend. Public tensors follow PyTorch's NCHW convention; the engine keeps its
 * feature maps channel-major inside (see src/backend/backend.ts) and converts at the edges.
 */

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export class Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;

  constructor(data: Float32Array, shape: Shape) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${shapeStr(shape)}`);
    }
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new Error(`Tensor: shape ${shapeStr(shape)} needs ${n} elements but data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  static zeros(shape: Shape): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape);
  }

  static from(values: ArrayLike<number>, shape: Shape): Tensor {
    return new Tensor(Float32Array.from(values), shape);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same data, new shape (sizes must agree). */
  reshape(shape: Shape): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new Error(`reshape: cannot view ${shapeStr(this.shape)} as ${shapeStr(shape)}`);
    }
    return new Tensor(this.data, shape);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  toString(): string {
    return `Tensor${shapeStr(this.shape)}`;
  }
}
