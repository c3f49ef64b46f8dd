/**
 * `densenet eval`: top-1, top-5 and mean cross-entropy of a checkpoint (model config, class names and
 * preprocessing come from it) or of plain weights with --arch/--config, on a data set's test split.
 */
import { getBackend } from '../backend/select.js';
import { resolveData } from '../data/resolve.js';
import { readWeightsFile } from '../io/weights-file.js';
import { CHECKPOINT_FORMAT, readCheckpoint } from '../train/checkpoint.js';
import { evaluate } from '../train/evaluate.js';
import { buildModel, modelFromFlags } from './build-model.js';
import type { ModelFlags } from './model-options.js';
import { Progress } from './progress.js';

export interface EvalFlags extends ModelFlags {
  weights: string;
  data: string;
  split: string;
  batchSize: string;
  backend?: string;
  json?: boolean;
}

export async function runEval(f: EvalFlags): Promise<void> {
  if (f.split !== 'test' && f.split !== 'train') throw new Error(`--split must be 'test' or 'train', got '${f.split}'`);
  const batchSize = Number(f.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size expects a positive integer, got '${f.batchSize}'`);
  const file = await readWeightsFile(f.weights);
  const isCheckpoint = file.metadata.format === CHECKPOINT_FORMAT;
  const ckpt = isCheckpoint ? await readCheckpoint(f.weights) : null;
  const [c, h, w] = ckpt?.meta.preprocessing.inputSize ?? [3, 0, 0];
  const data = await resolveData(f.data, { image: { channels: c === 1 ? 1 : 3, ...(h > 0 ? { height: h, width: w } : {}) } });
  const ds = f.split === 'test' ? data.test ?? data.train : data.train;
  const built = ckpt !== null
    ? buildModel(ckpt.meta.family, ckpt.meta.config, 0, false, ckpt.meta.arch)
    : modelFromFlags(f, { seed: 0, init: false, inChannels: ds.channels, numClasses: ds.numClasses });
  built.model.loadStateDict(ckpt?.state ?? file.tensors);
  const backend = await getBackend(f.backend);
  const progress = new Progress();
  const r = await evaluate(built.model, ds, backend, {
    batchSize,
    mean: ckpt?.meta.preprocessing.mean ?? [0],
    std: ckpt?.meta.preprocessing.std ?? [1],
    onBatch: (done, total) => progress.update('eval', done, total, ''),
  });
  progress.done();
  if (f.json) {
    process.stdout.write(JSON.stringify({ top1: r.top1, top5: r.top5, loss: r.loss, n: r.n }) + '\n');
    return;
  }
  process.stdout.write(`${data.description} ${f.split === 'test' && data.test ? 'test' : 'train'} split, ${r.n} images: ` +
    `top-1 ${(100 * r.top1).toFixed(2)}%  top-5 ${(100 * r.top5).toFixed(2)}%  loss ${r.loss.toFixed(4)}\n`);
}
