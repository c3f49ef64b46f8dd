/**
 * Evaluation of a classifier on a dataset: top-1 and top-5 accuracy (fractions in 0..1) and mean cross-entropy,
 * in eval mode (running batch-norm statistics), in batches, without augmentation.
 */
import type { Backend } from '../backend/backend.js';
import { DataLoader } from '../data/loader.js';
import type { Dataset } from '../data/dataset.js';
import type { ImageClassifier } from '../models/classifier.js';
import { Tensor } from '../tensor/tensor.js';

export interface EvalResult {
  top1: number;
  top5: number;
  loss: number;
  n: number;
}

export interface EvalOptions {
  batchSize: number;
  mean: readonly number[];
  std: readonly number[];
  onBatch?: (done: number, total: number) => void;
}

export async function evaluate(model: ImageClassifier, data: Dataset, backend: Backend, opts: EvalOptions): Promise<EvalResult> {
  if (data.numClasses > model.numClasses) {
    throw new Error(`evaluate: the data has ${data.numClasses} classes but the model predicts ${model.numClasses}`);
  }
  const wasTraining = model.training;
  model.eval();
  const loader = new DataLoader(data, { batchSize: opts.batchSize, shuffle: false, mean: opts.mean, std: opts.std });
  let top1 = 0;
  let top5 = 0;
  let loss = 0;
  let n = 0;
  const k = model.numClasses;
  try {
    for await (const b of loader.epoch(0)) {
      const x = new Tensor(b.x, [b.size, data.channels, data.height, data.width]);
      const logits = model.forward(x, backend).data;
      for (let i = 0; i < b.size; i++) {
        const row = logits.subarray(i * k, (i + 1) * k);
        const label = b.labels[i];
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        loss += max + Math.log(sum) - row[label];
        let above = 0; // classes scored higher than the label (ties count against it, as torch.topk may)
        for (let j = 0; j < k; j++) if (j !== label && row[j] >= row[label]) above++;
        if (above === 0) top1++;
        if (above < 5) top5++;
      }
      n += b.size;
      opts.onBatch?.(n, data.size);
      await new Promise<void>((resolve) => setImmediate(resolve)); // keep signals and output flowing (see trainer.ts)
    }
  } finally {
    await loader.close();
    model.train(wasTraining);
  }
  return { top1: top1 / n, top5: top5 / n, loss: loss / n, n };
}
