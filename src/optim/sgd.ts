/**
 * SGD with momentum and Nesterov, PyTorch's formulas (torch.optim.SGD): with g = grad + wd * p,
 * buf = momentum * buf + (1 - dampening) * g (buf = g on the first step), then g = g + momentum * buf
 * (Nesterov) or g = buf, and p -= lr * g. Weight decay is coupled, as in the paper (1e-4); it can skip
 * one-dimensional parameters (batch-norm scales and shifts, biases). Its state goes into checkpoints.
 * Parameter groups (PyTorch's `param_groups`, reduced to what fine-tuning needs): each group's learning rate is
 * `lrScale * lr`, so a schedule that sets `lr` moves every group together (`--backbone-lr 0.1`).
 */
import type { Parameter } from '../nn/parameter.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** no weight decay on batch-norm parameters and biases (every parameter of rank 1) */
  noDecayOnBnAndBias?: boolean;
}

/** Parameters that share a learning-rate multiplier. */
export interface ParamGroup {
  params: readonly [string, Parameter][];
  /** this group's learning rate is lrScale * sgd.lr (default 1) */
  lrScale?: number;
}

export class SGD {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  /** every parameter, groups concatenated in order */
  readonly params: readonly [string, Parameter][];
  private readonly scales: number[];
  private readonly decays: boolean[];
  private readonly buffers: (Float32Array | null)[];

  /** `params`: one list (one group at lr) or parameter groups with their lr multipliers. */
  constructor(params: readonly [string, Parameter][] | readonly ParamGroup[], opts: SgdOptions) {
    const groups: readonly ParamGroup[] = params.length > 0 && !Array.isArray(params[0])
      ? (params as readonly ParamGroup[])
      : [{ params: params as readonly [string, Parameter][] }];
    this.params = groups.flatMap((g) => g.params);
    this.scales = groups.flatMap((g) => g.params.map(() => g.lrScale ?? 1));
    for (const g of groups) {
      if (!((g.lrScale ?? 1) > 0)) throw new Error(`sgd: a parameter group's lr multiplier must be positive, got ${g.lrScale}`);
    }
    const names = new Set<string>();
    for (const [name] of this.params) {
      if (names.has(name)) throw new Error(`sgd: parameter ${name} is in more than one group`);
      names.add(name);
    }
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.lr > 0)) throw new Error(`sgd: learning rate must be positive, got ${this.lr}`);
    if (this.momentum < 0) throw new Error(`sgd: momentum must be >= 0, got ${this.momentum}`);
    if (this.weightDecay < 0) throw new Error(`sgd: weight decay must be >= 0, got ${this.weightDecay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('sgd: Nesterov momentum needs momentum > 0 and dampening 0');
    this.decays = this.params.map(([, p]) => !(opts.noDecayOnBnAndBias && p.rank === 1));
    this.buffers = this.params.map(() => null);
  }

  /** One update of every parameter from its gradient. */
  step(): void {
    const { momentum, dampening, nesterov } = this;
    for (let i = 0; i < this.params.length; i++) {
      const lr = this.lr * this.scales[i];
      const p = this.params[i][1];
      const w = p.data;
      const g = p.grad;
      const wd = this.decays[i] ? this.weightDecay : 0;
      let buf = this.buffers[i];
      const first = buf === null;
      if (momentum !== 0 && buf === null) buf = this.buffers[i] = new Float32Array(w.length);
      for (let j = 0; j < w.length; j++) {
        let d = g[j] + wd * w[j];
        if (buf !== null) {
          const b = first ? d : momentum * buf[j] + (1 - dampening) * d;
          buf[j] = b;
          d = nesterov ? d + momentum * b : b;
        }
        w[j] -= lr * d;
      }
    }
  }

  /** Momentum buffers by parameter name (absent before the first step), for checkpoints. */
  state(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    this.params.forEach(([name], i) => {
      const b = this.buffers[i];
      if (b !== null) out.set(name, b);
    });
    return out;
  }

  loadState(state: ReadonlyMap<string, Float32Array>): void {
    this.params.forEach(([name, p], i) => {
      const b = state.get(name);
      if (b === undefined) {
        this.buffers[i] = null;
        return;
      }
      if (b.length !== p.size) throw new Error(`sgd: momentum buffer for ${name} has ${b.length} values, parameter has ${p.size}`);
      this.buffers[i] = Float32Array.from(b);
    });
  }
}
