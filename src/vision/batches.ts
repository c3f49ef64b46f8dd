/**
 * Image files -> batches of model inputs [n, C, H, W] per a PreprocessSpec, in file order. A file that cannot be
 * decoded is handed to `onError` (one line naming it) and left out; the rest are still batched. Decoding of a
 * batch runs concurrently (sharp decodes on its own threads).
 */
import { Tensor } from '../tensor/tensor.js';
import { loadImage } from './preprocess.js';
import type { PreprocessSpec } from './preprocess-spec.js';

export interface ImageBatch {
  files: string[];
  /** [files.length, C, H, W] */
  input: Tensor;
}

export async function* imageBatches(
  files: readonly string[], spec: PreprocessSpec, batchSize: number, onError: (line: string) => void,
): AsyncGenerator<ImageBatch> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`imageBatches: batch size must be a positive integer, got ${batchSize}`);
  const [C, H, W] = spec.inputSize;
  const per = C * H * W;
  for (let i = 0; i < files.length; i += batchSize) {
    const chunk = files.slice(i, i + batchSize);
    const loaded = await Promise.all(chunk.map((f) => loadImage(f, spec).then((r) => r.input, (e: unknown) => e as Error)));
    const ok: string[] = [];
    const data = new Float32Array(chunk.length * per);
    loaded.forEach((r, j) => {
      if (r instanceof Error) {
        onError(r.message.split('\n')[0]);
        return;
      }
      data.set(r, ok.length * per);
      ok.push(chunk[j]);
    });
    if (ok.length > 0) yield { files: ok, input: new Tensor(data.subarray(0, ok.length * per), [ok.length, C, H, W]) };
  }
}
