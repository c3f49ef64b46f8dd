/**
 * How a photo becomes a model input: the resize rule, the input size and the per-channel normalisation. Two
 * kinds exist: torchvision's ImageNet preset (Resize(256) on the short side with antialiasing, CenterCrop(224),
 * Normalize(mean, std); torchvision.models DenseNet121_Weights transforms), and a checkpoint's own (image folders
 * are resized to cover the input size and center-cropped at load time, data/image-folder.ts; IDX and CIFAR
 * images already have it). The pixels are produced in vision/preprocess.ts; this file only describes them.
 */
import type { Preprocessing } from '../train/checkpoint.js';
import { STATS } from '../data/transforms.js';

export type ResizeRule =
  /** resize the short side to `shortSide` (PIL bilinear, antialiased, as torchvision), then center crop */
  | { mode: 'short-side'; shortSide: number }
  /** scale to cover the input size, then center crop (what image-folder training did) */
  | { mode: 'cover' };

export interface PreprocessSpec {
  resize: ResizeRule;
  /** [C, H, W] of the model input */
  inputSize: [number, number, number];
  mean: number[];
  std: number[];
}

/** torchvision's ImageNet classification preset for the published DenseNet weights. */
export const IMAGENET_PRESET: PreprocessSpec = {
  resize: { mode: 'short-side', shortSide: 256 },
  inputSize: [3, 224, 224],
  mean: [...STATS.imagenet.mean],
  std: [...STATS.imagenet.std],
};

/** A checkpoint's preprocessing metadata as a spec (checkpoints written before `resize` existed mean 'cover'). */
export function specFromCheckpoint(p: Preprocessing & { resize?: ResizeRule }): PreprocessSpec {
  return { resize: p.resize ?? { mode: 'cover' }, inputSize: p.inputSize, mean: p.mean, std: p.std };
}
