/**
 * infer's image feed: image files -> model inputs [C, H, W], prepared in a worker thread (image-feed-worker.ts) so
 * that loading sharp (~50-80 ms of dlopen), decoding and the JS resize run beside the main thread's work (reading
 * the weights, then the forward) instead of before it. The main thread asks for images in order, a window at a
 * time (`request`), so a folder of thousands is never held decoded at once; each image's result is its input or
 * its one-line error. close() ends the worker; a worker that dies fails every image still waited for.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../data/start-worker.js';
import type { PreprocessSpec } from '../vision/preprocess-spec.js';

export interface FeedPlan { files: string[] }
/** `end`: decode images [0, end); `spec` (version v): prepare every decoded image with it, again if it replaces another */
export type FeedRequest = { end: number } | { spec: PreprocessSpec; v: number };
/** image i prepared with spec version v */
export type FeedReply = { i: number; v: number; input: Float32Array } | { i: number; v: number; error: string };

interface Waiting { promise: Promise<Float32Array | Error>; resolve: (r: Float32Array | Error) => void }

export class ImageFeed {
  private readonly worker: Worker;
  private readonly results = new Map<number, Waiting>();
  private dead: Error | null = null;
  private closed = false;
  private spec = '';
  private version = 0;

  constructor(private readonly files: string[]) {
    this.worker = startWorker(import.meta.url, 'image-feed-worker', { files } satisfies FeedPlan);
    this.worker.on('message', (r: FeedReply) => {
      if (r.v === this.version) this.slot(r.i).resolve('error' in r ? new Error(r.error) : r.input); // else prepared for a replaced spec
    });
    this.worker.on('error', (e: Error) => this.fail(new Error(`image decoder: ${e.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`image decoder: exited with code ${code}`));
    });
  }

  /** Decode images [0, end) now (the spec may come later). */
  request(end: number): void {
    this.worker.postMessage({ end } satisfies FeedRequest);
  }

  /**
   * The preprocessing: images already decoded are prepared now, later ones as they decode. It may be given early (a
   * guess from the command's flags) and again once the weights are read; a different one replaces the first and the
   * images are prepared again, so call get() only after the last setSpec.
   */
  setSpec(spec: PreprocessSpec): void {
    const key = JSON.stringify(spec);
    if (key === this.spec) return;
    this.spec = key;
    this.results.clear();
    this.worker.postMessage({ spec, v: ++this.version } satisfies FeedRequest);
  }

  /** Image i's input, or the Error that says why it has none. */
  get(i: number): Promise<Float32Array | Error> {
    if (i < 0 || i >= this.files.length) throw new Error(`image feed: no image ${i} of ${this.files.length}`);
    return this.slot(i).promise;
  }

  /** Forget image i's result (its batch has run). */
  release(i: number): void {
    this.results.delete(i);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private slot(i: number): Waiting {
    let w = this.results.get(i);
    if (w === undefined) {
      let resolve!: (r: Float32Array | Error) => void;
      const promise = new Promise<Float32Array | Error>((r) => (resolve = r));
      w = { promise, resolve };
      if (this.dead) resolve(this.dead);
      this.results.set(i, w);
    }
    return w;
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (let i = 0; i < this.files.length; i++) this.slot(i).resolve(this.dead); // a settled promise ignores this
  }
}
