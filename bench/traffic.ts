/**
 * Memory traffic of a training step, by a model (no hardware counters): a Backend wrapper that, for every op call,
 * counts each array argument's bytes once as read, and each output's once as written (an accumulated output, read
 * too). "Moved" is that sum over the step's calls; "minimum" counts every byte the step reads once and every byte it
 * writes once (the union of the ranges read, plus the union of the ranges written, per buffer), as an ideal engine
 * that kept nothing in cache but never touched a tensor twice would. Re-reads inside an op (GEMM blocking) and the
 * SGD update (JavaScript, outside the backend) are not counted. Used by the bench's profile section.
 */
import type { Backend, BackwardOps } from '../src/backend/backend.js';

type Arr = Float32Array | Int32Array | Uint8Array;
/** per op: [index of an output argument, whether it accumulates (given the call's arguments)] */
type Outs = readonly (readonly [number, (a: readonly unknown[]) => boolean])[];
const never = (): boolean => false;
const always = (): boolean => true;

const FORWARD: Record<string, Outs> = {
  gemm: [[8, (a) => a[7] === 1]], conv2d: [[4, never]], scaleShift: [[6, never]], channelStats: [[3, never], [4, never]],
  relu: [[2, never]], maxPool2d: [[2, never]], avgPool2d: [[2, never]], globalAvgPool: [[4, never]], linear: [[6, never]],
  softmax: [[3, never]], dropout: [[4, never]],
};
const BACKWARD: Record<string, Outs> = {
  conv2d: [[4, (a) => a[8] !== true], [5, never], [6, never]],
  batchNorm: [[9, (a) => a[12] !== true], [10, never], [11, never]],
  relu: [[3, never]], maxPool2d: [[3, never]], avgPool2d: [[2, never]], globalAvgPool: [[4, never]],
  linear: [[6, never], [7, never], [8, never]], softmaxCrossEntropy: [[4, never]],
  conv1x1BatchNorm: [[11, always], [12, never], [13, never], [14, always], [15, always], [16, never]],
  batchNormDeferredAdd: [[6, always]],
};

/** Byte ranges per buffer, merged on demand. */
class Ranges {
  private readonly spans = new Map<ArrayBufferLike, [number, number][]>();
  add(a: Arr): void {
    const list = this.spans.get(a.buffer) ?? [];
    list.push([a.byteOffset, a.byteOffset + a.byteLength]);
    this.spans.set(a.buffer, list);
  }
  bytes(): number {
    let total = 0;
    for (const list of this.spans.values()) {
      list.sort((x, y) => x[0] - y[0]);
      let [lo, hi] = list[0];
      for (const [a, b] of list.slice(1)) {
        if (a > hi) {
          total += hi - lo;
          [lo, hi] = [a, b];
        } else hi = Math.max(hi, b);
      }
      total += hi - lo;
    }
    return total;
  }
}

export class Traffic {
  moved = 0;
  /** moved bytes per op (forward ops by name, backward ones as 'backward.<name>'; convolutions with their kernel) */
  readonly byOp = new Map<string, number>();
  private read = new Ranges();
  private written = new Ranges();
  count(op: string, args: readonly unknown[], outs: Outs): void {
    const before = this.moved;
    const out = new Map(outs.map(([i, acc]) => [i, acc(args)]));
    args.forEach((v, i) => {
      if (!ArrayBuffer.isView(v)) return;
      const a = v as Arr;
      const isOut = out.has(i);
      if (!isOut || out.get(i)) {
        this.moved += a.byteLength;
        this.read.add(a);
      }
      if (isOut) {
        this.moved += a.byteLength;
        this.written.add(a);
      }
    });
    const g = args[0] as { kh?: number } | null;
    const key = op.endsWith('conv2d') && typeof g === 'object' && g !== null ? `${op} ${g.kh}x${g.kh}` : op;
    this.byOp.set(key, (this.byOp.get(key) ?? 0) + this.moved - before);
  }
  /** Minimum bytes: everything read, read once; everything written, written once. */
  minimum(): number {
    return this.read.bytes() + this.written.bytes();
  }
}

/** A Backend that forwards every op to `be` and counts its traffic into `t`. */
export function counted(be: Backend, t: Traffic): Backend {
  const wrapAll = <T extends object>(ops: T, table: Record<string, Outs>, self: object, prefix: string): T => {
    const o: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(ops)) {
      if (typeof f !== 'function') continue;
      const outs = table[k];
      if (outs === undefined) throw new Error(`bench/traffic: no output table for op ${k}`);
      o[k] = (...a: unknown[]): unknown => {
        t.count(prefix + k, a, outs);
        return (f as (...x: unknown[]) => unknown).apply(self, a);
      };
    }
    return o as T;
  };
  const fwd: Record<string, unknown> = {};
  for (const k of Object.keys(FORWARD)) fwd[k] = (be as unknown as Record<string, unknown>)[k];
  return {
    ...be,
    ...(wrapAll(fwd, FORWARD, be, '') as Partial<Backend>),
    name: be.name,
    threads: be.threads,
    backward: wrapAll(be.backward as BackwardOps, BACKWARD, be.backward as BackwardOps, 'backward.'),
  } as Backend;
}
