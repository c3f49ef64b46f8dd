/**
 * Where one training step's time goes: DenseNet lossAndGrad + SGD step through a timing wrapper around every
 * backend op (bench/timed-backend.ts), grouped as the bench table shows them. "The rest" is the step minus
 * every convolution, BN and pooling op: classifier, loss, ReLU-free glue, JavaScript and the SGD update.
 * Convolution forward rows include the BN-ReLU the convolution applies to its input while packing (ConvPre).
 */
import type { Backend } from '../src/backend/backend.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { timed, type Times } from './timed-backend.js';
import { counted, Traffic } from './traffic.js';

/** `be` without its optional fused backward ops (backend.ts conv1x1BatchNorm): the unfused path, for A/B runs. */
export function withoutFusedBackward(be: Backend): Backend {
  const bw = { ...be.backward! };
  delete bw.conv1x1BatchNorm;
  delete bw.batchNormDeferredAdd;
  return { ...be, backward: bw };
}

/** Table rows, in order: [label, categories of timed-backend.ts summed into it]. */
export const STEP_GROUPS: readonly (readonly [string, readonly string[]])[] = [
  ['conv 1x1 forward (BN-ReLU fused in)', ['conv 1x1 fwd']],
  ['conv 1x1 backward (dx, dw)', ['conv 1x1 bwd']],
  ['conv 1x1 backward fused with BN+ReLU backward', ['conv 1x1 bwd + BN bwd']],
  ['conv 3x3 forward (BN-ReLU fused in)', ['conv 3x3 fwd']],
  ['conv 3x3 backward (dx, dw)', ['conv 3x3 bwd']],
  ['BN+ReLU forward (batch stats, apply)', ['BN fwd (stats)', 'BN fwd (apply/recompute)']],
  ['BN+ReLU backward', ['BN bwd']],
  ['pooling (forward, backward)', ['pools']],
];

export interface StepProfile {
  /** ms per step of the profiled steps */
  step_ms: number;
  /** ms per step for each STEP_GROUPS label, then 'the rest' */
  ms: Record<string, number>;
}

/** Bytes one training step moves by bench/traffic.ts's model, and the minimum (every tensor read/written once). */
export function stepTraffic(be: Backend, model: string, batch: number): { moved: number; minimum: number; byOp: Map<string, number> } {
  const net = new DenseNet(variantConfig(model), 0).train();
  const size = net.defaultInput;
  const x = new Tensor(new Float32Array(batch * size[0] * size[1] * size[2]).fill(0.5), [batch, ...size]);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % net.numClasses);
  net.lossAndGrad(x, labels, be); // allocates the workspace, so the counted step sees only reused buffers
  const t = new Traffic();
  net.lossAndGrad(x, labels, counted(be, t));
  return { moved: t.moved, minimum: t.minimum(), byOp: t.byOp };
}

/** Profiles `steps` training steps of `model` at `batch` (after 2 warm-up steps) on `be`. */
export function profileStep(be: Backend, model: string, batch: number, steps: number): StepProfile {
  const net = new DenseNet(variantConfig(model), 0).train();
  const sgd = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
  const rng = new Rng(7);
  const size = net.defaultInput;
  const x = new Tensor(new Float32Array(batch * size[0] * size[1] * size[2]).map(() => rng.uniform() * 2 - 1), [batch, ...size]);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % net.numClasses);
  const times: Times = new Map();
  const tb = timed(be, times);
  for (let i = 0; i < 2; i++) {
    net.lossAndGrad(x, labels, be);
    sgd.step();
  }
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    net.lossAndGrad(x, labels, tb);
    sgd.step();
  }
  const step = (performance.now() - t0) / steps;
  const ms: Record<string, number> = {};
  let grouped = 0;
  for (const [label, cats] of STEP_GROUPS) {
    ms[label] = cats.reduce((s, c) => s + (times.get(c) ?? 0), 0) / steps;
    grouped += ms[label];
  }
  ms['the rest (classifier, loss, JS, SGD)'] = step - grouped;
  return { step_ms: step, ms };
}
