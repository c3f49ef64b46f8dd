/**
 * DataLoader: batches { x: float32 [B][C][H][W] (NCHW), labels } with seeded per-epoch shuffling, optional
 * augmentation and always normalisation, made in worker threads that prefetch ahead of training.
 * Epoch e is shuffled by Rng(mixSeed(seed, e)), so resuming at epoch e reproduces its order, and batch b's
 * augmentation comes from mixSeed(seed, e, b) (batch.ts): batches depend only on (seed, epoch, index).
 * Not a sampler framework: no weighted or distributed sampling, no collate functions.
 */

import { Rng } from '../tensor/rng.js';
import { fillBatch, mixSeed, type BatchPlan } from './batch.js';
import { permutation, sharedStorage, type Dataset } from './dataset.js';
import { normalizeTable, type AugmentOptions } from './transforms.js';
import { BatchWorkers } from './worker-pool.js';

export interface Batch {
  /** [size][C][H][W], normalised. */
  x: Float32Array;
  labels: Int32Array;
  size: number;
  /** Dataset indices of the samples, in batch order. */
  indices: Int32Array;
}

export interface LoaderOptions {
  batchSize: number;
  /** Shuffle every epoch (default true; use false for evaluation). */
  shuffle?: boolean;
  seed?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Training augmentation, e.g. { pad: 4, flip: true } for CIFAR; default none. */
  augment?: AugmentOptions;
  /** Per-channel normalisation (x/255 - mean)/std in [0,1] units; default mean 0, std 1 (plain x/255). */
  mean?: readonly number[];
  std?: readonly number[];
  /** Worker threads preparing batches (default 1); 0 prepares them on the calling thread. */
  workers?: number;
  /** Batches prepared ahead of the one being consumed (default 2). */
  prefetch?: number;
}

export class DataLoader {
  readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly dropLast: boolean;
  private readonly augmenting: boolean;
  private readonly plan: BatchPlan;
  private readonly storageIndex: Int32Array | null;
  private readonly workerCount: number;
  private readonly prefetch: number;
  private pool: BatchWorkers | null = null;

  constructor(readonly dataset: Dataset, opts: LoaderOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize <= 0) throw new Error(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (dataset.size === 0) throw new Error('DataLoader: the dataset is empty');
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    this.seed = (opts.seed ?? 0) >>> 0;
    this.dropLast = opts.dropLast ?? false;
    this.workerCount = Math.max(0, Math.floor(opts.workers ?? 1));
    this.prefetch = Math.max(1, Math.floor(opts.prefetch ?? 2));
    const pad = opts.augment?.pad ?? 0;
    const flip = opts.augment?.flip ?? false;
    if (!Number.isInteger(pad) || pad < 0) throw new Error(`DataLoader: augment.pad must be a non-negative integer, got ${pad}`);
    this.augmenting = pad > 0 || flip;
    const shape = { channels: dataset.channels, height: dataset.height, width: dataset.width };
    const { pixels, index } = sharedStorage(dataset);
    const lut = normalizeTable(opts.mean ?? [0], opts.std ?? [1], shape.channels);
    this.plan = { pixels, shape, pad, flip, lut };
    this.storageIndex = index;
  }

  get numBatches(): number {
    const n = this.dataset.size;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The dataset indices of epoch e in the order they are served. */
  order(epoch: number): Int32Array {
    if (!this.shuffle) return Int32Array.from({ length: this.dataset.size }, (_, i) => i);
    return permutation(this.dataset.size, new Rng(mixSeed(this.seed, epoch)));
  }

  /** Batch b of epoch e made on the calling thread (random access; the same bytes epoch() yields). */
  batch(epoch: number, b: number, order = this.order(epoch)): Batch {
    const { indices, storage, augSeed } = this.request(epoch, b, order);
    return this.assemble(indices, fillBatch(this.plan, storage, augSeed));
  }

  /**
   * The batches of epoch e from batch `from` on (a resumed run skips those it already trained on), prepared
   * `prefetch` ahead in worker threads.
   */
  async *epoch(epoch: number, from = 0): AsyncGenerator<Batch, void, undefined> {
    const order = this.order(epoch);
    const nb = this.numBatches;
    if (this.workerCount === 0) {
      for (let b = from; b < nb; b++) yield this.batch(epoch, b, order);
      return;
    }
    this.pool ??= new BatchWorkers(this.workerCount, this.plan);
    const pool = this.pool;
    const ahead = Math.max(this.prefetch, this.workerCount);
    const queue: Promise<Batch>[] = [];
    let next = from;
    const fill = (): void => {
      while (queue.length < ahead && next < nb) {
        const { indices, storage, augSeed } = this.request(epoch, next++, order);
        queue.push(pool.run(storage, augSeed).then((x) => this.assemble(indices, x)));
      }
    };
    try {
      fill();
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        fill();
        yield batch;
      }
    } finally {
      for (const p of queue) p.catch(() => undefined); // abandoned by an early break: nobody awaits them
    }
  }

  /** Terminates the worker threads (idle workers never keep the process alive, but this frees them now). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.close();
  }

  private request(epoch: number, b: number, order: Int32Array): { indices: Int32Array; storage: Int32Array; augSeed: number | null } {
    if (!(b >= 0 && b < this.numBatches)) throw new Error(`DataLoader: batch ${b} out of range [0, ${this.numBatches})`);
    const indices = order.slice(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
    const map = this.storageIndex;
    const storage = map === null ? indices : indices.map((i) => map[i]);
    return { indices, storage, augSeed: this.augmenting ? mixSeed(this.seed, epoch, b) : null };
  }

  private assemble(indices: Int32Array, x: Float32Array): Batch {
    const labels = indices.map((i) => this.dataset.label(i));
    return { x, labels, size: indices.length, indices };
  }
}
