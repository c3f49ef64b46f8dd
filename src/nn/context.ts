/**
 * What a forward pass runs with: the backend, training mode, the RNG for dropout, and the Workspace that
 * owns every intermediate buffer. Feature maps here are channel-major [C][N][H][W] (see backend.ts); the
 * public API converts NCHW at the edges (src/models/run.ts).
 */
import type { Backend, BackwardOps } from '../backend/backend.js';
import type { Rng } from '../tensor/rng.js';

/** A channel-major feature map: `data` holds [c][n][h][w] (a view, often rows of a larger block buffer). */
export interface FeatureMap {
  data: Float32Array;
  c: number;
  n: number;
  h: number;
  w: number;
}

export function featureMap(data: Float32Array, c: number, n: number, h: number, w: number): FeatureMap {
  const need = c * n * h * w;
  if (data.length < need) throw new Error(`featureMap: [${c},${n},${h},${w}] needs ${need} floats, buffer has ${data.length}`);
  return { data: data.length === need ? data : data.subarray(0, need), c, n, h, w };
}

/** Rows [from, from + count) of a feature map: a view, no copy (the point of the channel-major layout). */
export function channels(x: FeatureMap, from: number, count: number): FeatureMap {
  const plane = x.n * x.h * x.w;
  return { data: x.data.subarray(from * plane, (from + count) * plane), c: count, n: x.n, h: x.h, w: x.w };
}

/**
 * Named, grow-only buffers reused across layers and across calls: a slot is allocated the first time it is
 * asked for a size and reused after, so a steady-state forward pass allocates nothing (fresh pages cost
 * ~14 us each on these machines; DESIGN.md). Two requests for the same slot return the same memory.
 */
export class Workspace {
  private readonly slots = new Map<string, Float32Array>();
  /** Where new slots come from when set (Backend.alloc: memory the backend's ops use without copying), else the JS heap. */
  allocator: ((floats: number) => Float32Array | null) | null = null;
  /** measuring mode: slot sizes are recorded, every request is served from one shared, never-written buffer */
  private sizes: Map<string, number> | null = null;
  private shared = new Float32Array(0);

  /**
   * A workspace that only measures: a dry run (ops that compute nothing) through it records what each slot
   * would hold without allocating it, for memory planning (`densenet summary --batch-size`, `--max-memory`).
   */
  static measuring(): Workspace {
    const ws = new Workspace();
    ws.sizes = new Map();
    return ws;
  }

  get(slot: string, size: number): Float32Array {
    if (this.sizes !== null) {
      this.sizes.set(slot, Math.max(this.sizes.get(slot) ?? 0, size));
      if (this.shared.length < size) this.shared = new Float32Array(size); // zero pages, never touched
      return this.shared.subarray(0, size);
    }
    let buf = this.slots.get(slot);
    if (buf === undefined || buf.length < size) {
      buf = this.allocator?.(size) ?? new Float32Array(size);
      this.slots.set(slot, buf);
    }
    return buf.subarray(0, size);
  }

  /** Like get, zero-filled (for gradients that are accumulated into). */
  zeros(slot: string, size: number): Float32Array {
    const buf = this.get(slot, size);
    return this.sizes !== null ? buf : buf.fill(0);
  }

  /** Writes every slot once (zeros), so its pages exist before a timed pass needs them. */
  touch(): void {
    for (const b of this.slots.values()) b.fill(0);
  }

  /** Total floats held, for memory reports. */
  floats(): number {
    let n = 0;
    if (this.sizes !== null) for (const v of this.sizes.values()) n += v;
    for (const b of this.slots.values()) n += b.length;
    return n;
  }

  clear(): void {
    this.slots.clear();
  }
}

export interface Context {
  backend: Backend;
  training: boolean;
  /**
   * Training only: recompute BN-ReLU outputs in the backward pass instead of keeping one per layer, so memory
   * grows linearly with depth (Pleiss et al. 2017). Same numbers either way.
   */
  memoryEfficient: boolean;
  ws: Workspace;
  rng: Rng;
  /** Called by every leaf op when set (summary, MAC counting). */
  trace?: Tracer;
  /** Called with named intermediate feature maps (features.pool0, features.denseblock1, ...) when set. */
  tap?: (path: string, x: FeatureMap) => void;
}

/** One leaf op of a forward pass, as reported to a tracer (for `densenet summary`). */
export interface TraceEvent {
  /** module path, e.g. features.denseblock1.denselayer1.conv1 */
  path: string;
  kind: string;
  /** output shape in NCHW order */
  out: [number, number, number, number];
  /** multiply-accumulates for the whole batch (conv and linear only, torchvision's convention) */
  macs: number;
}

export type Tracer = (e: TraceEvent) => void;

/** The backend's backward ops, or an error saying this backend can only run inference. */
export function backwardOps(ctx: Context): BackwardOps {
  const b = ctx.backend.backward;
  if (b === undefined) throw new Error(`the ${ctx.backend.name} backend has no backward ops yet; train with --backend reference`);
  return b;
}

/**
 * Workspace slot for a tensor the backward pass reads: unique to `path` while training (it must survive until
 * backward), the shared scratch `shared` otherwise.
 */
export function kept(ctx: Context, path: string, shared: string): string {
  return ctx.training ? path : shared;
}

/** Slot for a tensor the memory-efficient mode recomputes: unique to `path` only in naive training. */
export function keptIfNaive(ctx: Context, path: string, shared: string): string {
  return ctx.training && !ctx.memoryEfficient ? path : shared;
}
