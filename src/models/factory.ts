/**
 * Rebuilding a model from its family and config (as stored in checkpoints): DenseNet or the ResNet baseline.
 */
import type { ImageClassifier } from './classifier.js';
import type { DenseNetConfig } from './config.js';
import { DenseNet } from './densenet.js';
import { ResNet, type ResNetConfigInput } from './resnet.js';

export interface BuiltModel {
  model: ImageClassifier;
  /** the variant name, when the model is a named one */
  arch: string | null;
}

/** A model of `family` from a checkpoint's config. */
export function buildModel(family: string, config: Record<string, unknown>, seed: number, init: boolean, arch: string | null): BuiltModel {
  if (family === 'densenet') return { model: new DenseNet(config as unknown as DenseNetConfig, seed, { init }), arch };
  if (family === 'resnet') return { model: new ResNet(config as unknown as ResNetConfigInput, seed, { init }), arch };
  throw new Error(`unknown model family '${family}' in checkpoint (known: densenet, resnet)`);
}
