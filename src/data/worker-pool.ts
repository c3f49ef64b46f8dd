/**
 * A small pool of batch-making worker threads (worker_threads) for the DataLoader. Requests go round-robin;
 * each returns a promise of its batch, rejected with the worker's error message. Idle workers are unref'd
 * (they never keep the process alive) and ref'd while a request is pending (so an await cannot be cut short).
 * Not a general task pool: it runs loader-worker.ts and nothing else.
 */

import type { Worker } from 'node:worker_threads';
import type { BatchPlan, BatchReply, BatchRequest } from './batch.js';
import { startWorker } from './start-worker.js';

interface Pending {
  resolve: (x: Float32Array) => void;
  reject: (e: Error) => void;
  slot: Slot;
}

interface Slot {
  worker: Worker;
  pending: number;
  dead: Error | null;
}

export class BatchWorkers {
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(count: number, plan: BatchPlan) {
    this.slots = Array.from({ length: Math.max(1, count) }, () => this.spawn(plan));
  }

  /** Makes the batch of storage indices `indices` (augmented with augSeed unless null) in a worker. */
  run(indices: Int32Array, augSeed: number | null): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new Error('data loader: workers already closed'));
    const slot = this.slots[this.nextId % this.slots.length];
    if (slot.dead) return Promise.reject(slot.dead);
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      if (slot.pending++ === 0) slot.worker.ref();
      const req: BatchRequest = { id, indices, augSeed };
      slot.worker.postMessage(req);
    });
  }

  /** Terminates every worker; pending requests reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(null, new Error('data loader: closed while a batch was being prepared'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(plan: BatchPlan): Slot {
    const worker = startWorker(import.meta.url, 'loader-worker', plan);
    const slot: Slot = { worker, pending: 0, dead: null };
    worker.unref();
    worker.on('message', (reply: BatchReply) => {
      const p = this.waiting.get(reply.id);
      if (!p) return;
      this.waiting.delete(reply.id);
      if (--slot.pending === 0) worker.unref();
      if ('error' in reply) p.reject(new Error(`data loader worker: ${reply.error}`));
      else p.resolve(reply.x);
    });
    worker.on('error', (e: Error) => {
      slot.dead = new Error(`data loader worker: ${e.message}`);
      this.failAll(slot, slot.dead);
    });
    worker.on('exit', (code) => {
      if (!slot.dead && !this.closed) slot.dead = new Error(`data loader worker: exited with code ${code}`);
      if (slot.dead) this.failAll(slot, slot.dead);
    });
    return slot;
  }

  private failAll(slot: Slot | null, err: Error): void {
    for (const [id, p] of this.waiting) {
      if (slot !== null && p.slot !== slot) continue;
      this.waiting.delete(id);
      p.slot.pending--;
      p.reject(err);
    }
  }
}
