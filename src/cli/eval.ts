/**
 * `densenet eval`: top-1, top-5 and mean cross-entropy of a checkpoint, of plain weights with --arch/--config,
 * or of torchvision's published weights (--pretrained), on a data set's test split. The model and its
 * preprocessing come from cli/load-model.ts: image folders are decoded at the model's input size with its
 * resize rule (a checkpoint's own, or torchvision's short side 256 + center crop 224), then normalised with
 * its mean and std; IDX and CIFAR images are used at their own size.
 */
import { getBackend } from '../backend/select.js';
import { resolveData } from '../data/resolve.js';
import { evaluate } from '../train/evaluate.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';
import { Progress } from './progress.js';

export interface EvalFlags extends WeightsFlags {
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
  const { model, arch, preprocessing: spec, source } = await loadModelForUse(f, 'eval');
  const [c, h, w] = spec.inputSize;
  const resize = spec.resize.mode === 'short-side' ? spec.resize.shortSide : 'cover';
  const data = await resolveData(f.data, { image: { channels: c === 1 ? 1 : 3, ...(h > 0 ? { height: h, width: w, resize } : {}) } });
  const ds = f.split === 'test' ? data.test ?? data.train : data.train;
  if (ds.channels !== model.inChannels) {
    throw new Error(`eval: ${data.description} has ${ds.channels}-channel images but ${source} takes ${model.inChannels} channels`);
  }
  const resized = !data.description.startsWith('image folder') ? ''
    : spec.resize.mode === 'short-side' ? ` (resized: short side ${spec.resize.shortSide}, center crop)` : ' (resized to cover, center crop)';
  const size = `${ds.channels}x${ds.height}x${ds.width}`;
  process.stderr.write(`eval: ${arch ?? model.family} from ${source}; images ${size}` +
    (ds.height === h && ds.width === w ? `, the model's input size${resized}\n` : ` as stored (the model's input size is ${c}x${h}x${w})\n`));
  const backend = await getBackend(f.backend);
  const progress = new Progress();
  const r = await evaluate(model, ds, backend, {
    batchSize,
    mean: spec.mean,
    std: spec.std,
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
