/**
 * Module: a named tree of layers holding parameters (trainable) and buffers (running statistics), with
 * PyTorch's naming and state_dict order (own parameters, own buffers, then children), so torchvision
 * weights load by name. Not autograd: forward passes are explicit per layer (src/nn/*.ts).
 */
import { Tensor, shapeStr, type Shape } from '../tensor/tensor.js';

export abstract class Module {
  private readonly childList: [string, Module][] = [];
  private readonly paramList: [string, Tensor][] = [];
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

  protected addParam(name: string, t: Tensor): Tensor {
    this.paramList.push([name, t]);
    return t;
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
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = this.paramList.map(([n, t]) => [prefix + n, t]);
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
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, strict = true): void {
    const own = this.namedState();
    const missing: string[] = [];
    const mismatched: string[] = [];
    const known = new Set<string>();
    for (const [name, t] of own) {
      known.add(name);
      const src = state.get(name);
      if (src === undefined) {
        if (!name.endsWith('num_batches_tracked')) missing.push(name);
        continue;
      }
      if (!sameShape(src.shape, t.shape)) {
        mismatched.push(`${name}: file ${shapeStr(src.shape)} vs model ${shapeStr(t.shape)}`);
      }
    }
    const unexpected = [...state.keys()].filter((k) => !known.has(k));
    if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`${missing.length} missing ${plural(missing.length, 'key')} (${list(missing)})`);
      if (unexpected.length > 0) parts.push(`${unexpected.length} unexpected ${plural(unexpected.length, 'key')} (${list(unexpected)})`);
      if (mismatched.length > 0) parts.push(`${mismatched.length} shape ${plural(mismatched.length, 'mismatch', 'mismatches')} (${list(mismatched)})`);
      throw new Error(`load_state_dict: ${parts.join(', ')}`);
    }
    for (const [name, t] of own) {
      const src = state.get(name);
      if (src !== undefined) t.data.set(src.data);
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

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function plural(n: number, one: string, many = one + 's'): string {
  return n === 1 ? one : many;
}

function list(names: string[]): string {
  const head = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${head}, and ${names.length - 10} more` : head;
}
