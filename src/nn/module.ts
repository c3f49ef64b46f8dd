/**
 * Module: a named tree of layers holding parameters (trainable) and buffers (running statistics), with
 * PyTorch's naming and state_dict order (own parameters, own buffers, then children), so torchvision
 * weights load by name. Not autograd: forward passes are explicit per layer (src/nn/*.ts).
 */
import type { Shape, Tensor } from '../tensor/tensor.js';
import { Parameter } from './parameter.js';
import { loadStrict } from './state-dict.js';

export abstract class Module {
  private readonly childList: [string, Module][] = [];
  private readonly paramList: [string, Parameter][] = [];
  private readonly bufferList: [string, Tensor][] = [];
  /** Dotted path from the root (`features.denseblock1.denselayer1`); set when the module is added. */
  path = '';
  training = false;

  /** Registers a child under `name` (its parameters become `name.*`). */
  protected add<M extends Module>(name: string, m: M): M {
    this.childList.push([name, m]);
    m.setPath(this.path === '' ? name : `${this.path}.${name}`);
    return m;
  }

  protected addParam(name: string, t: Tensor): Parameter {
    const p = t instanceof Parameter ? t : new Parameter(t.data, t.shape);
    this.paramList.push([name, p]);
    return p;
  }

  protected addBuffer(name: string, t: Tensor): Tensor {
    this.bufferList.push([name, t]);
    return t;
  }

  private setPath(p: string): void {
    this.path = p;
    for (const [n, c] of this.childList) c.setPath(`${p}.${n}`);
  }

  children(): readonly [string, Module][] {
    return this.childList;
  }

  /** Trainable parameters with their full dotted names, in state_dict order. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = this.paramList.map(([n, t]) => [prefix + n, t]);
    for (const [n, c] of this.childList) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Parameters and buffers, in PyTorch's state_dict order. */
  namedState(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [
      ...this.paramList.map(([n, t]): [string, Tensor] => [prefix + n, t]),
      ...this.bufferList.map(([n, t]): [string, Tensor] => [prefix + n, t]),
    ];
    for (const [n, c] of this.childList) out.push(...c.namedState(`${prefix}${n}.`));
    return out;
  }

  stateDict(): Map<string, Tensor> {
    return new Map(this.namedState());
  }

  /** Number of trainable scalars (what papers and torchvision report as "params"). */
  numParameters(): number {
    let n = 0;
    for (const [, t] of this.namedParameters()) n += t.size;
    return n;
  }

  /**
   * Copies tensors into this module's parameters and buffers by name. Strict by default: one error lists
   * every missing, unexpected and mis-shaped key. `num_batches_tracked` may be missing (older files).
   * With `adopt`, each tensor's memory becomes the parameter's (no copy) unless it overlaps one adopted before
   * (a file's tied weights stay separate): for loading straight from a file's buffer, whose tensors the caller
   * gives up (DenseNet-121: 32 MB neither copied nor held twice).
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, strict = true, opts: { adopt?: boolean } = {}): void {
    const own = this.namedState();
    const shapes = new Map(own.map(([n, t]): [string, Shape] => [n, t.shape]));
    // non-strict still refuses mis-shaped tensors: only missing/unexpected keys are forgiven
    loadStrict(shapes, new Map(state), strict ? {} : { optional: () => true, ignoreUnexpected: true });
    const taken = new Map<ArrayBufferLike, [number, number][]>(); // adopted byte ranges per buffer
    const free = (a: Float32Array): boolean => {
      const ranges = taken.get(a.buffer) ?? taken.set(a.buffer, []).get(a.buffer)!;
      const [lo, hi] = [a.byteOffset, a.byteOffset + a.byteLength];
      if (ranges.some(([l, h]) => lo < h && l < hi)) return false;
      ranges.push([lo, hi]);
      return true;
    };
    for (const [name, t] of own) {
      const src = state.get(name);
      if (src === undefined) continue;
      if (opts.adopt && free(src.data)) (t as { data: Float32Array }).data = src.data;
      else t.data.set(src.data);
    }
  }

  /** Sets training mode on this module and all children (batch statistics, dropout). */
  train(mode = true): this {
    this.training = mode;
    for (const [, c] of this.childList) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}
