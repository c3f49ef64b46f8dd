/**
 * `densenet infer`: logits for a batch of inputs. Reads a safetensors file holding `input` [N,C,H,W] (float32),
 * runs the model in batches on the chosen backend and writes `logits` [N,classes] to a safetensors file. The model
 * comes from --weights or --pretrained (cli/load-model.ts), or is a seeded initialisation of the flags' model.
 * Image files instead of --input: infer-images.ts (imported only then).
 */
import { getBackend } from '../backend/select.js';
import { readWhole } from '../io/read-whole.js';
import { readSafetensors } from '../io/safetensors.js';
import { writeSafetensorsFile } from '../io/weights-file.js';
import { Tensor, shapeStr } from '../tensor/tensor.js';
import { modelFromFlags } from './build-model.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';

export interface InferFlags extends WeightsFlags {
  input?: string;
  output: string;
  batchSize?: string;
  backend?: string;
  seed?: string;
  timing?: boolean;
}

export async function runInfer(images: string[], flags: InferFlags): Promise<void> {
  if ((flags.input !== undefined) === (images.length > 0)) throw new Error('infer: give either --input FILE (a tensor) or image files/folders');
  if (images.length > 0) return (await import('./infer-images.js')).runInferImages(images, flags);
  const inputFile = flags.input!;
  // --weights FILE or --pretrained NAME (a checkpoint carries its model; plain weights need the model flags);
  // neither: a seeded initialisation of the model the flags name
  const seed = flags.seed !== undefined ? Number(flags.seed) : 0;
  const model = flags.weights !== undefined || flags.pretrained !== undefined
    ? (await loadModelForUse(flags, 'infer')).model
    : modelFromFlags(flags, { seed, init: true }).model.eval();

  const input = await readInput(inputFile);
  model.checkInput(input.shape);
  const [n, c, h, w] = input.shape;
  const batch = flags.batchSize !== undefined ? Number(flags.batchSize) : Math.min(n, 8);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch-size expects a positive integer, got '${flags.batchSize}'`);
  const backend = await getBackend(flags.backend);

  const k = model.numClasses;
  const logits = new Float32Array(n * k);
  const per = c * h * w;
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    const x = new Tensor(input.data.subarray(i * per, (i + m) * per), [m, c, h, w]);
    logits.set(model.forward(x, backend).data, i * k);
    if (n > batch) process.stderr.write(`infer: ${i + m}/${n} images\n`);
  }
  await writeSafetensorsFile(flags.output, new Map([['logits', new Tensor(logits, [n, k])]]), {
    backend: backend.name,
    config: JSON.stringify(model.modelConfig),
  });
  process.stderr.write(`infer: wrote logits [${n}, ${k}] to ${flags.output} (${backend.name} backend)\n`);
}

async function readInput(path: string): Promise<Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let t: Tensor | undefined;
  try {
    t = readSafetensors(bytes).tensors.get('input');
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (t === undefined) throw new Error(`${path}: no tensor named 'input' (expected float32 [N, C, H, W])`);
  if (t.rank !== 4) throw new Error(`${path}: 'input' must be [N, C, H, W], got ${shapeStr(t.shape)}`);
  return t;
}
