/**
 * Memory planning: the engine's working memory for inference and for a training step in both modes
 * (memory-efficient: BN-ReLU outputs recomputed; naive: kept per layer), measured by a dry run of the real
 * passes through a measuring Workspace on a fresh copy of the model (nothing is computed or allocated, and the
 * model's own statistics are untouched). Training adds weights, gradients and momentum (3 x parameters).
 */
import { dryRunBackend } from '../backend/dry-run.js';
import { Workspace } from '../nn/context.js';
import { Tensor } from '../tensor/tensor.js';
import type { ImageClassifier } from './classifier.js';
import { buildModel } from './factory.js';

export interface MemoryPlan {
  batch: number;
  input: [number, number, number];
  /** bytes of parameters (and buffers) */
  paramBytes: number;
  inferenceBytes: number;
  /** engine workspace + parameters, gradients and momentum, and the input batch */
  trainEfficientBytes: number;
  trainNaiveBytes: number;
  /** the workspace part alone (activations and their gradients) */
  activationEfficientBytes: number;
  activationNaiveBytes: number;
}

function measure(model: ImageClassifier, shape: [number, number, number, number], training: boolean, memoryEfficient: boolean): number {
  const fresh = buildModel(model.family, { ...model.modelConfig }, 0, false, null).model;
  fresh.useWorkspace(Workspace.measuring());
  const x = new Tensor(new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]), shape);
  if (training) {
    fresh.train();
    fresh.lossAndGrad(x, new Int32Array(shape[0]), dryRunBackend, { memoryEfficient });
  } else {
    fresh.eval();
    fresh.forward(x, dryRunBackend);
  }
  return fresh.workspaceBytes();
}

export function planMemory(model: ImageClassifier, c: number, h: number, w: number, batch: number): MemoryPlan {
  const shape: [number, number, number, number] = [batch, c, h, w];
  const paramBytes = 4 * model.namedState().reduce((s, [, t]) => s + t.size, 0);
  const trainable = 4 * model.numParameters();
  const inputBytes = 4 * batch * c * h * w;
  const eff = measure(model, shape, true, true);
  const naive = measure(model, shape, true, false);
  return {
    batch,
    input: [c, h, w],
    paramBytes,
    inferenceBytes: paramBytes + measure(model, shape, false, true),
    activationEfficientBytes: eff,
    activationNaiveBytes: naive,
    trainEfficientBytes: paramBytes + 2 * trainable + inputBytes + eff,
    trainNaiveBytes: paramBytes + 2 * trainable + inputBytes + naive,
  };
}

/** The largest batch (<= `upTo`) whose planned training memory fits in `budget` bytes, or 0 if none does. */
export function largestBatch(model: ImageClassifier, c: number, h: number, w: number, budget: number, memoryEfficient: boolean, upTo = 4096): number {
  const fits = (b: number): boolean => {
    const p = planMemory(model, c, h, w, b);
    return (memoryEfficient ? p.trainEfficientBytes : p.trainNaiveBytes) <= budget;
  };
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (hi <= upTo && fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  hi = Math.min(hi, upTo + 1);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
