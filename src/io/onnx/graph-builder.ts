/**
 * Builds an ONNX graph from the engine's own layers: one call per layer adds its node (named after the module's
 * path, e.g. `features.denseblock1.denselayer1.conv1`) and its weights as float32 initializers under the
 * state_dict names (`...conv1.weight`), and returns the name of the value it produces. Operators and attributes
 * are ONNX's (docs/Operators.md): Conv, BatchNormalization (inference form: running statistics, epsilon),
 * Relu, MaxPool, AveragePool, Concat, Add, GlobalAveragePool, Flatten, Gemm. Every one of them exists unchanged
 * in meaning from opset 13 to 21. Not a general ONNX builder: no bias-free Gemm, no dilation or groups.
 */
import type { BatchNorm2d } from '../../nn/batchnorm.js';
import type { Conv2d } from '../../nn/conv.js';
import type { Linear } from '../../nn/linear.js';
import type { AvgPool2d, MaxPool2d } from '../../nn/pool.js';
import type { Tensor } from '../../tensor/tensor.js';
import { AttrType, DataType, type Attribute, type NodeMsg, type TensorMsg } from './schema.js';

const ints = (name: string, v: number[]): Attribute => ({ name, type: AttrType.INTS, ints: v });
const int = (name: string, v: number): Attribute => ({ name, type: AttrType.INT, i: v });
const float = (name: string, v: number): Attribute => ({ name, type: AttrType.FLOAT, f: v });

/** float32 values as little-endian bytes (TensorProto.raw_data is fixed-width little-endian). */
function rawFloat32(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  return out;
}

export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  private readonly names = new Set<string>();

  /** Adds a float32 initializer `name` holding `t` (its own shape unless `dims` is given). */
  weight(name: string, t: Tensor, dims: readonly number[] = t.shape): string {
    if (this.names.has(name)) throw new Error(`onnx export: initializer '${name}' added twice`);
    this.names.add(name);
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: rawFloat32(t.data) });
    return name;
  }

  /** Adds one node; its single output is named after the node unless `output` is given. Returns the output. */
  node(opType: string, name: string, input: string[], attribute: Attribute[] = [], output = name): string {
    if (this.names.has(output)) throw new Error(`onnx export: value '${output}' produced twice`);
    this.names.add(output);
    this.nodes.push({ name, opType, input: [...input], output: [output], attribute }); // a copy: callers grow their lists
    return output;
  }

  /** x: [N, Cin, H, W] -> [N, Cout, Ho, Wo] (square kernel, symmetric padding, no dilation or groups). */
  conv(m: Conv2d, x: string): string {
    const inputs = [x, this.weight(`${m.path}.weight`, m.weight)];
    if (m.bias !== null) inputs.push(this.weight(`${m.path}.bias`, m.bias));
    const p = m.padding;
    return this.node('Conv', m.path, inputs, [
      ints('kernel_shape', [m.kernel, m.kernel]), ints('strides', [m.stride, m.stride]), ints('pads', [p, p, p, p]),
      ints('dilations', [1, 1]), int('group', 1),
    ]);
  }

  /** Eval-mode batch-norm: (x - running_mean) / sqrt(running_var + eps) * weight + bias, per channel. */
  batchNorm(m: BatchNorm2d, x: string): string {
    const p = m.path;
    return this.node('BatchNormalization', p, [
      x, this.weight(`${p}.weight`, m.weight), this.weight(`${p}.bias`, m.bias),
      this.weight(`${p}.running_mean`, m.runningMean), this.weight(`${p}.running_var`, m.runningVar),
    ], [float('epsilon', m.eps)]);
  }

  relu(name: string, x: string): string {
    return this.node('Relu', name, [x]);
  }

  maxPool(m: MaxPool2d, x: string): string {
    const p = m.padding;
    return this.node('MaxPool', m.path, [x], [ints('kernel_shape', [m.kernel, m.kernel]), ints('strides', [m.stride, m.stride]), ints('pads', [p, p, p, p])]);
  }

  avgPool(m: AvgPool2d, x: string): string {
    const p = m.padding;
    return this.node('AveragePool', m.path, [x], [ints('kernel_shape', [m.kernel, m.kernel]), ints('strides', [m.stride, m.stride]), ints('pads', [p, p, p, p])]);
  }

  /** Concatenation along channels (axis 1); a single input passes through unchanged (no node). */
  concat(name: string, xs: string[]): string {
    return xs.length === 1 ? xs[0] : this.node('Concat', name, xs, [int('axis', 1)]);
  }

  add(name: string, a: string, b: string): string {
    return this.node('Add', name, [a, b]);
  }

  /** [N, C, H, W] -> [N, C] (GlobalAveragePool to [N, C, 1, 1], then Flatten: torchvision's avgpool + flatten). */
  globalAvgPool(x: string): string {
    return this.node('Flatten', 'flatten', [this.node('GlobalAveragePool', 'avgpool', [x])], [int('axis', 1)]);
  }

  /** y = x W^T + b, x: [N, in], weight [out, in] as stored (transB = 1); the node is the module's path. */
  linear(m: Linear, x: string, output: string): string {
    return this.node('Gemm', m.path, [x, this.weight(`${m.path}.weight`, m.weight), this.weight(`${m.path}.bias`, m.bias)], [
      float('alpha', 1), float('beta', 1), int('transB', 1),
    ], output);
  }
}
