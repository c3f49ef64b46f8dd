/**
 * `densenet infer`: logits for a batch of inputs. Reads a safetensors file holding `input` [N,C,H,W] (float32),
 * runs the model in batches on the chosen backend and writes `logits` [N,classes] to a safetensors file.
 */
import { readFile } from 'node:fs/promises';
import { getBackend } from '../backend/select.js';
import { readSafetensors } from '../io/safetensors.js';
import { readWeightsFile, writeSafetensorsFile } from '../io/weights-file.js';
import { Tensor, shapeStr } from '../tensor/tensor.js';
import { buildModel, modelFromFlags } from './build-model.js';
import type { ModelFlags } from './model-options.js';

export interface InferFlags extends ModelFlags {
  weights?: string;
  input: string;
  output: string;
  batchSize?: string;
  backend?: string;
  seed?: string;
}

export async function runInfer(flags: InferFlags): Promise<void> {
  const weights = flags.weights !== undefined ? await readWeightsFile(flags.weights) : null;
  // a checkpoint written by this toolkit carries its model; otherwise the flags name it
  const noModelFlags = flags.arch === undefined && flags.config === undefined && flags.blockConfig === undefined;
  const seed = flags.seed !== undefined ? Number(flags.seed) : 0;
  const fromFile = noModelFlags && weights?.metadata.config !== undefined;
  const { model } = fromFile
    ? buildModel(weights!.metadata.family || 'densenet', parseJson(weights!.metadata.config, `${flags.weights} metadata`), seed, false, weights!.metadata.arch || null)
    : modelFromFlags(flags, { seed, init: weights === null });
  if (weights !== null) {
    try {
      model.loadStateDict(new Map([...weights.tensors].filter(([k]) => !k.startsWith('optimizer.'))));
    } catch (e) {
      throw new Error(`${flags.weights}: ${(e as Error).message}`);
    }
  }
  model.eval();

  const input = await readInput(flags.input);
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
    bytes = await readFile(path);
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

function parseJson(text: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: config is not valid JSON`);
  }
}
