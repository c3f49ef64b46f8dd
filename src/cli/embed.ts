/**
 * `densenet embed <images or folders...> (--weights FILE | --pretrained NAME) --out emb.safetensors`: the
 * pre-logits embedding of each image (global average pool of the last feature map, [N, C] float32) written as
 * `embeddings`, with the file names (a JSON list, row order) and the model in the metadata. Same inputs and
 * skip rules as predict: unreadable files are one line each on stderr, skipped, and make the exit code 1.
 */
import { getBackend } from '../backend/select.js';
import { writeSafetensorsFile } from '../io/weights-file.js';
import { Tensor } from '../tensor/tensor.js';
import { imageBatches } from '../vision/batches.js';
import { extractEmbedding } from '../vision/features.js';
import { listImageFiles } from '../vision/files.js';
import { describePreprocessing } from '../vision/preprocess-pixels.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';
import { positiveInt } from './format.js';

export interface EmbedFlags extends WeightsFlags {
  out: string;
  batchSize?: string;
  backend?: string;
}

export async function runEmbed(paths: string[], flags: EmbedFlags): Promise<void> {
  const batchSize = positiveInt('batch-size', flags.batchSize, 8);
  const { model, arch, preprocessing, source } = await loadModelForUse(flags, 'embed');
  const backend = await getBackend(flags.backend);
  const { files, errors } = listImageFiles(paths);
  const err = (line: string): void => void process.stderr.write(`embed: ${line}\n`);
  const [C, H, W] = preprocessing.inputSize;
  err(`${arch ?? model.family} (${source}), input ${C}x${H}x${W}, ${describePreprocessing(preprocessing)}, ${files.length} image${files.length === 1 ? '' : 's'}, ${backend.name} backend`);
  let failed = errors.length;
  errors.forEach(err);

  const names: string[] = [];
  const rows: Float32Array[] = [];
  let dim = 0;
  for await (const batch of imageBatches(files, preprocessing, batchSize, (line) => (failed++, err(line)))) {
    const { embedding } = extractEmbedding(model, batch.input, backend);
    dim = embedding.shape[1];
    names.push(...batch.files);
    rows.push(embedding.data);
  }
  if (names.length === 0) throw new Error(`embed: none of the ${files.length + errors.length} inputs could be read; nothing written`);
  const data = new Float32Array(names.length * dim);
  let at = 0;
  for (const r of rows) {
    data.set(r, at);
    at += r.length;
  }
  await writeSafetensorsFile(flags.out, new Map([['embeddings', new Tensor(data, [names.length, dim])]]), {
    files: JSON.stringify(names),
    model: arch ?? model.family,
    config: JSON.stringify(model.modelConfig),
    source,
    preprocessing: JSON.stringify(preprocessing),
  });
  err(`wrote embeddings [${names.length}, ${dim}] to ${flags.out}`);
  if (failed > 0) {
    err(`${failed} of ${files.length + errors.length} inputs could not be read`);
    process.exitCode = 1;
  }
}
