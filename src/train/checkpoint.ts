/**
 * Checkpoints: one safetensors file holding the model's state_dict under torchvision's names (so PyTorch reads
 * the weights directly), the optimiser's momentum buffers as `optimizer.momentum.<param>` tensors (last.safetensors
 * only), and in the metadata everything needed to rebuild and resume: the model config, class names,
 * preprocessing, the training options, epoch/step and RNG state. Written crash-safely (temp file, fsync, rename,
 * folder fsync: see writeSafetensorsFile), so a kill mid-save leaves the previous checkpoint whole.
 */
import { readWeightsFile, writeSafetensorsFile } from '../io/weights-file.js';
import { Tensor } from '../tensor/tensor.js';

export const CHECKPOINT_FORMAT = 'densenet-ts/checkpoint@1';
const OPTIM_PREFIX = 'optimizer.momentum.';

export interface Preprocessing {
  mean: number[];
  std: number[];
  /** [C, H, W] the model was trained on */
  inputSize: [number, number, number];
}

/** Where training stood: enough to continue exactly. */
export interface TrainingState {
  /** epochs fully completed */
  epoch: number;
  /** batches of epoch `epoch` already trained on (0 unless the run was interrupted mid-epoch) */
  batchInEpoch: number;
  /** optimiser steps so far */
  step: number;
  /** the model's RNG (dropout) state */
  rng: number[];
  bestValAcc: number;
  /** the options the run was started with (JSON) */
  options: Record<string, unknown>;
}

/** Where a fine-tuned model started (`train --finetune FILE` or `--pretrained NAME`). */
export interface FinetunedFrom {
  kind: 'checkpoint' | 'weights' | 'pretrained';
  file: string;
  /** the pretrained name, or the source checkpoint's arch */
  name: string | null;
}

export interface CheckpointMeta {
  family: string;
  arch: string | null;
  config: Record<string, unknown>;
  classNames: string[];
  preprocessing: Preprocessing;
  training: TrainingState | null;
  /** absent for a model trained from scratch */
  finetunedFrom?: FinetunedFrom | null;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  state: Map<string, Tensor>;
  momentum: Map<string, Float32Array>;
}

export async function writeCheckpoint(
  path: string, meta: CheckpointMeta, state: Map<string, Tensor>, momentum: Map<string, Float32Array> | null,
): Promise<void> {
  const tensors = new Map(state);
  if (momentum !== null) for (const [name, buf] of momentum) tensors.set(OPTIM_PREFIX + name, new Tensor(buf, [buf.length]));
  await writeSafetensorsFile(path, tensors, {
    format: CHECKPOINT_FORMAT,
    family: meta.family,
    arch: meta.arch ?? '',
    config: JSON.stringify(meta.config),
    classNames: JSON.stringify(meta.classNames),
    preprocessing: JSON.stringify(meta.preprocessing),
    ...(meta.training !== null ? { training: JSON.stringify(meta.training) } : {}),
    ...(meta.finetunedFrom ? { finetunedFrom: JSON.stringify(meta.finetunedFrom) } : {}),
  });
}

/** Reads a checkpoint written by writeCheckpoint; a plain weights file is refused with a message saying so. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const { tensors, metadata } = await readWeightsFile(path);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${path}: not a densenet-ts checkpoint (no '${CHECKPOINT_FORMAT}' metadata); plain weights go to --weights`);
  }
  const parse = <T>(key: string): T => {
    try {
      return JSON.parse(metadata[key] ?? 'null') as T;
    } catch {
      throw new Error(`${path}: checkpoint metadata '${key}' is not valid JSON`);
    }
  };
  const state = new Map<string, Tensor>();
  const momentum = new Map<string, Float32Array>();
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIM_PREFIX)) momentum.set(name.slice(OPTIM_PREFIX.length), t.data);
    else state.set(name, t);
  }
  const config = parse<Record<string, unknown> | null>('config');
  if (config === null) throw new Error(`${path}: checkpoint has no model config`);
  return {
    meta: {
      family: metadata.family ?? 'densenet',
      arch: metadata.arch ? metadata.arch : null,
      config,
      classNames: parse<string[]>('classNames') ?? [],
      preprocessing: parse<Preprocessing>('preprocessing') ?? { mean: [0], std: [1], inputSize: [0, 0, 0] },
      training: parse<TrainingState | null>('training'),
      finetunedFrom: parse<FinetunedFrom | null>('finetunedFrom'),
    },
    state,
    momentum,
  };
}
