/**
 * `densenet predict <files or folders...> (--weights FILE | --pretrained NAME)`: the top-k classes of each image.
 * The model, its preprocessing and class names come from cli/load-model.ts; images are decoded and preprocessed
 * by vision/ (torchvision's preset for torchvision weights, the checkpoint's own otherwise), run in batches.
 * Output: a table per image, or with --json one object per line per image. Unreadable files are one line each
 * on stderr and skipped; the exit code is 1 if any was.
 */
import { getBackend } from '../backend/select.js';
import { imageBatches } from '../vision/batches.js';
import { listImageFiles } from '../vision/files.js';
import { describePreprocessing } from '../vision/preprocess-pixels.js';
import { topK } from '../vision/predict.js';
import { positiveInt, table } from './format.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';

export interface PredictFlags extends WeightsFlags {
  topk?: string;
  batchSize?: string;
  json?: boolean;
  backend?: string;
}

export async function runPredict(paths: string[], flags: PredictFlags): Promise<void> {
  const requested = positiveInt('topk', flags.topk, 5);
  const batchSize = positiveInt('batch-size', flags.batchSize, 8);
  const { model, arch, preprocessing, classNames, source } = await loadModelForUse(flags, 'predict');
  const backend = await getBackend(flags.backend);
  const { files, errors } = listImageFiles(paths);
  const err = (line: string): void => void process.stderr.write(`predict: ${line}\n`);
  const [C, H, W] = preprocessing.inputSize;
  err(`${arch ?? model.family} (${source}), input ${C}x${H}x${W}, ${describePreprocessing(preprocessing)}, ${files.length} image${files.length === 1 ? '' : 's'}, ${backend.name} backend`);
  const k = Math.min(requested, model.numClasses);
  if (k < requested) err(`--topk ${requested} is more than the model's ${model.numClasses} classes; showing ${k}`);
  let failed = errors.length;
  errors.forEach(err);

  for await (const batch of imageBatches(files, preprocessing, batchSize, (line) => (failed++, err(line)))) {
    const top = topK(model.forward(batch.input, backend), k, classNames);
    batch.files.forEach((file, i) => {
      if (flags.json) {
        process.stdout.write(JSON.stringify({ file, top: top[i] }) + '\n');
        return;
      }
      const rows = top[i].map((t, r) => [String(r + 1), `${(100 * t.prob).toFixed(2)}%`, String(t.index), t.label]);
      process.stdout.write(`${file}\n${table(['rank', 'prob', 'index', 'label'], rows, new Set([0, 1, 2]))}\n\n`);
    });
  }
  if (failed > 0) {
    err(`${failed} of ${files.length + errors.length} inputs could not be read`);
    process.exitCode = 1;
  }
}
