/**
 * `train --finetune FILE` / `train --pretrained NAME`: reads the weights a fine-tuning run starts from and builds
 * the model it trains. A densenet-ts checkpoint carries its config and preprocessing; plain weights (a torchvision
 * .pth, safetensors) need --arch/--config; `--pretrained NAME` is torchvision's ImageNet file (hub/pretrained.ts).
 * The model is the source's architecture with the data's classes and input channels: models/adapt.ts replaces
 * the head and adapts the first convolution; everything else loads strictly. Not the training loop (trainer.ts).
 */
import { readWeightsFile } from '../io/weights-file.js';
import { fetchPretrained, pretrainedEntry } from '../hub/pretrained.js';
import { STATS } from '../data/transforms.js';
import { adaptStateDict, inputConvName, type AdaptReport } from '../models/adapt.js';
import type { BuiltModel } from '../models/factory.js';
import { CHECKPOINT_FORMAT, type FinetunedFrom, type Preprocessing } from '../train/checkpoint.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildModel, describeConfigDifference, modelFromFlags } from './build-model.js';
import type { ModelFlags } from './model-options.js';

export interface FinetuneSource {
  from: FinetunedFrom;
  state: Map<string, Tensor>;
  /** a checkpoint's family and config; null for plain weights (the architecture comes from the flags) */
  family: string;
  config: Record<string, unknown> | null;
  arch: string | null;
  /** what the weights were trained on */
  inChannels: number;
  numClasses: number;
  /** the mean/std (and input size) the weights were trained with, when known */
  preprocessing: Preprocessing | null;
  /** one line for the log */
  description: string;
}

const hasModelFlags = (f: ModelFlags): boolean => f.arch !== undefined || f.config !== undefined || f.blockConfig !== undefined;

/** Reads `--finetune FILE` or `--pretrained NAME` (exactly one is set). */
export async function readFinetuneSource(f: ModelFlags & { finetune?: string; pretrained?: string }): Promise<FinetuneSource> {
  if (f.finetune !== undefined && f.pretrained !== undefined) throw new Error('give --finetune FILE or --pretrained NAME, not both');
  if (f.pretrained !== undefined) {
    const entry = pretrainedEntry(f.pretrained);
    if (hasModelFlags(f) && f.arch !== entry.arch) throw new Error(`--pretrained ${f.pretrained} is ${entry.arch}; drop --arch/--config`);
    const file = await fetchPretrained(f.pretrained);
    const { tensors } = await readWeightsFile(file);
    return plain(tensors, { ...f, arch: entry.arch }, { kind: 'pretrained', file, name: f.pretrained },
      `${f.pretrained} (torchvision's ImageNet weights, ${file})`);
  }
  const file = f.finetune!;
  const { tensors, metadata } = await readWeightsFile(file);
  const state = new Map([...tensors].filter(([k]) => !k.startsWith('optimizer.')));
  if (metadata.format === CHECKPOINT_FORMAT && metadata.config !== undefined) {
    const config = json<Record<string, unknown>>(metadata.config, file, 'config');
    const family = metadata.family || 'densenet';
    const arch = metadata.arch || null;
    if (hasModelFlags(f)) {
      // --arch/--config with a checkpoint must describe its architecture (classes and channels may differ)
      const mine = buildModel(family, config, 0, false, arch).model;
      const asked = modelFromFlags(f, { seed: 0, init: false, inChannels: mine.inChannels, numClasses: mine.numClasses }).model;
      const diff = describeConfigDifference(without(asked.modelConfig), without(mine.modelConfig));
      if (diff !== null) throw new Error(`${file} does not fit ${f.arch ?? f.config ?? 'the model flags'} (${diff})`);
    }
    const pre = json<Preprocessing | null>(metadata.preprocessing ?? 'null', file, 'preprocessing');
    const inChannels = Number(config.inChannels ?? 3);
    const numClasses = Number(config.numClasses);
    return {
      from: { kind: 'checkpoint', file, name: arch }, state, family, config, arch, inChannels, numClasses, preprocessing: pre,
      description: `${file} (densenet-ts checkpoint: ${arch ?? family}, ${numClasses} classes, ${inChannels} channels)`,
    };
  }
  if (!hasModelFlags(f)) {
    throw new Error(`${file}: no model config in the file (plain weights); give --arch (e.g. densenet121) or --config`);
  }
  return plain(state, f, { kind: 'weights', file, name: null }, `${file} (weights for ${f.arch ?? f.config ?? 'the model flags'})`);
}

/** Plain weights: the architecture from the flags; classes and channels read from the head's and conv's shapes. */
function plain(state: Map<string, Tensor>, f: ModelFlags, from: FinetunedFrom, description: string): FinetuneSource {
  const probe = modelFromFlags(f, { seed: 0, init: false }).model;
  const conv = state.get(inputConvName(probe));
  const headName = probe.namedParameters().filter(([, p]) => p.rank === 2).pop()?.[0];
  const head = headName !== undefined ? state.get(headName) : undefined;
  const what = f.arch ?? f.config ?? 'the model flags';
  if (conv === undefined || conv.rank !== 4 || head === undefined || head.rank !== 2) {
    throw new Error(`${from.file} does not fit ${what}: no ${inputConvName(probe)} or ${headName ?? 'classifier'} of the right rank in the file`);
  }
  const inChannels = conv.shape[1];
  const numClasses = head.shape[0];
  // torchvision's ImageNet models are trained on ImageNet-normalised RGB; of other plain weights nothing is known
  const preprocessing: Preprocessing | null = inChannels === 3 && probe.defaultInput[1] === 224
    ? { mean: [...STATS.imagenet.mean], std: [...STATS.imagenet.std], inputSize: [3, ...probe.defaultInput.slice(1)] as [number, number, number] }
    : null;
  return { from, state, family: probe.family, config: null, arch: f.arch ?? null, inChannels, numClasses, preprocessing, description };
}

/** The model a fine-tuning run trains: the source's architecture with `inChannels` and `numClasses`, loaded. */
export function buildFinetuneModel(
  src: FinetuneSource, f: ModelFlags, seed: number, inChannels: number, numClasses: number,
): BuiltModel & { report: AdaptReport } {
  const built = src.config !== null
    ? buildModel(src.family, { ...src.config, inChannels, numClasses }, seed, true, src.arch)
    : modelFromFlags({ ...f, ...(src.arch !== null ? { arch: src.arch } : {}), inChannels: String(inChannels), numClasses: String(numClasses) }, { seed, init: true });
  const { state, report } = adaptStateDict(src.state, built.model);
  try {
    built.model.loadStateDict(state);
  } catch (e) {
    throw new Error(`${src.from.file} does not fit ${src.arch ?? f.arch ?? built.model.family}: ${(e as Error).message.split('\n')[0]}`);
  }
  return { ...built, report };
}

function without(c: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { inChannels: _i, numClasses: _n, ...rest } = c;
  return rest;
}

function json<T>(text: string, file: string, key: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file}: metadata '${key}' is not valid JSON`);
  }
}
