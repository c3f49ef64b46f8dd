/**
 * The model a using command (predict, embed, gradcam, export, eval, infer) runs, from `--weights FILE` or
 * `--pretrained NAME`, with the preprocessing and class names that go with it:
 * - a densenet-ts checkpoint carries its config, preprocessing and class names (model flags, if given, must agree);
 * - plain weights (torchvision .pth, safetensors) need --arch/--config; the ImageNet preset is assumed for a
 *   3-channel ImageNet-stem model, the class names are ImageNet's for 1000 classes;
 * - `--pretrained NAME` is torchvision's published file (hub/pretrained.ts), with torchvision's preset.
 * Loading is strict: a file that does not fit the architecture is one error naming the file.
 */
import { readWeightsFile } from '../io/weights-file.js';
import { CHECKPOINT_FORMAT, type Preprocessing } from '../train/checkpoint.js';
import type { ImageClassifier } from '../models/classifier.js';
import type { Tensor } from '../tensor/tensor.js';
import { IMAGENET_PRESET, specFromCheckpoint, type PreprocessSpec, type ResizeRule } from '../vision/preprocess-spec.js';
import { imagenetClasses } from '../vision/imagenet-classes.js';
import { buildModel, describeConfigDifference, modelFromFlags } from './build-model.js';
import type { ModelFlags } from './model-options.js';

export interface WeightsFlags extends ModelFlags {
  weights?: string;
  pretrained?: string;
}

export interface LoadedModel {
  model: ImageClassifier;
  arch: string | null;
  preprocessing: PreprocessSpec;
  /** one name per class (`class <i>` when the file names none) */
  classNames: string[];
  /** the file the weights came from */
  source: string;
}

const hasModelFlags = (f: ModelFlags): boolean => f.arch !== undefined || f.config !== undefined || f.blockConfig !== undefined;

export interface LoadOptions {
  /**
   * Called before the weights file is read with the preprocessing the flags imply (--pretrained: torchvision's;
   * plain weights with model flags: that model's), so images can be prepared meanwhile (infer). The returned
   * preprocessing is the one to use: a checkpoint's own replaces it.
   */
  onEarlySpec?: (spec: PreprocessSpec) => void;
}

/** Reads the weights `flags` name and builds the model they fit, in eval mode. */
export async function loadModelForUse(flags: WeightsFlags, command: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  if ((flags.weights === undefined) === (flags.pretrained === undefined)) {
    throw new Error(`${command}: give either --weights FILE or --pretrained NAME`);
  }
  if (flags.pretrained !== undefined) {
    // imported only here: the downloader brings node:https and node:crypto, which a local file does not need
    const { fetchPretrained, pretrainedEntry } = await import('../hub/pretrained.js');
    const entry = pretrainedEntry(flags.pretrained);
    if (hasModelFlags(flags) && flags.arch !== entry.arch) throw new Error(`${command}: --pretrained ${flags.pretrained} is ${entry.arch}; drop --arch/--config`);
    opts.onEarlySpec?.(IMAGENET_PRESET);
    const file = await fetchPretrained(flags.pretrained);
    const { model } = modelFromFlags({ arch: entry.arch }, { seed: 0, init: false });
    load(model, (await readWeightsFile(file)).tensors, file, entry.arch);
    return { model: model.eval(), arch: entry.arch, preprocessing: IMAGENET_PRESET, classNames: imagenetClasses(), source: file };
  }

  const file = flags.weights!;
  // plain weights need the flags' model: built first, its preprocessing known before the file is read
  const plain = hasModelFlags(flags) ? modelFromFlags(flags, { seed: 0, init: false }) : null;
  if (plain !== null) opts.onEarlySpec?.(plainPreprocessing(plain.model));
  const { tensors, metadata } = await readWeightsFile(file);
  const isCheckpoint = metadata.format === CHECKPOINT_FORMAT && metadata.config !== undefined;
  if (isCheckpoint) {
    const config = parseJson<Record<string, unknown>>(metadata.config, file, 'config');
    const built = buildModel(metadata.family || 'densenet', config, 0, false, metadata.arch || null);
    if (hasModelFlags(flags)) {
      const asked = modelFromFlags(flags, { seed: 0, init: false, inChannels: built.model.inChannels, numClasses: built.model.numClasses });
      const diff = describeConfigDifference(asked.model.modelConfig, built.model.modelConfig);
      if (diff !== null) throw new Error(`${file} is a checkpoint for another architecture (${diff})`);
    }
    load(built.model, tensors, file, built.arch ?? built.model.family);
    const pre = parseJson<(Preprocessing & { resize?: ResizeRule }) | null>(metadata.preprocessing ?? 'null', file, 'preprocessing');
    if (pre === null) throw new Error(`${file}: checkpoint has no preprocessing metadata`);
    const names = parseJson<string[] | null>(metadata.classNames ?? 'null', file, 'classNames') ?? [];
    return { model: built.model.eval(), arch: built.arch, preprocessing: specFromCheckpoint(pre), classNames: classNames(names, built.model.numClasses), source: file };
  }

  if (plain === null) {
    throw new Error(`${file}: no model config or preprocessing metadata in the file (plain weights); give --arch (e.g. densenet121) or --config`);
  }
  const { model, arch } = plain;
  load(model, tensors, file, arch ?? model.family);
  const names = model.numClasses === 1000 ? imagenetClasses() : [];
  return { model: model.eval(), arch, preprocessing: plainPreprocessing(model), classNames: classNames(names, model.numClasses), source: file };
}

/** Plain weights' preprocessing: torchvision's ImageNet preset for a 3-channel 1000-class ImageNet-stem model, else a cover resize to its input. */
function plainPreprocessing(model: ImageClassifier): PreprocessSpec {
  const [c, h, w] = model.defaultInput;
  const imagenetLike = c === 3 && model.numClasses === 1000 && model.modelConfig.stem !== 'cifar';
  return imagenetLike
    ? IMAGENET_PRESET
    : { resize: { mode: 'cover' }, inputSize: [c, h, w], mean: c === 3 ? [...IMAGENET_PRESET.mean] : [0.5], std: c === 3 ? [...IMAGENET_PRESET.std] : [0.5] };
}

function load(model: ImageClassifier, tensors: Map<string, Tensor>, file: string, what: string): void {
  try {
    model.loadStateDict(new Map([...tensors].filter(([k]) => !k.startsWith('optimizer.'))), true, { adopt: true }); // the file's tensors are ours to keep
  } catch (e) {
    throw new Error(`${file} does not fit ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function classNames(names: string[], n: number): string[] {
  return names.length === n ? names : Array.from({ length: n }, (_, i) => `class ${i}`);
}

function parseJson<T>(text: string, file: string, key: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file}: metadata '${key}' is not valid JSON`);
  }
}
