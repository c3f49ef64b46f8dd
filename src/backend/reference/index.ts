/**
 * The reference backend: every op as plain TypeScript loops, one op per file. It is the specification the
 * native and wasm kernels are tested against, and the backend of last resort. Single-threaded, not fast.
 */
import type { Backend, BackwardOps } from '../backend.js';
import { avgPool2dBackward } from './avg-pool-backward.js';
import { avgPool2d } from './avg-pool.js';
import { batchNormBackward } from './batch-norm-backward.js';
import { channelStats } from './channel-stats.js';
import { batchNormDeferredAdd, conv1x1BatchNormBackward } from './conv1x1-batch-norm-backward.js';
import { conv2dBackward } from './conv2d-backward.js';
import { conv2d } from './conv2d.js';
import { dropout } from './dropout.js';
import { gemm } from './gemm.js';
import { globalAvgPoolBackward } from './global-avg-pool-backward.js';
import { globalAvgPool } from './global-avg-pool.js';
import { linearBackward } from './linear-backward.js';
import { linear } from './linear.js';
import { maxPool2dBackward } from './max-pool-backward.js';
import { maxPool2d } from './max-pool.js';
import { reluBackward } from './relu-backward.js';
import { relu } from './relu.js';
import { scaleShift } from './scale-shift.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';
import { softmax } from './softmax.js';

const backward: BackwardOps = {
  conv2d: conv2dBackward,
  batchNorm: batchNormBackward,
  relu: reluBackward,
  conv1x1BatchNorm: conv1x1BatchNormBackward,
  batchNormDeferredAdd,
  maxPool2d: maxPool2dBackward,
  avgPool2d: avgPool2dBackward,
  globalAvgPool: globalAvgPoolBackward,
  linear: linearBackward,
  softmaxCrossEntropy,
};

export const referenceBackend: Backend = Object.freeze({
  name: 'reference',
  threads: 1,
  gemm,
  conv2d,
  scaleShift,
  channelStats,
  relu,
  maxPool2d,
  avgPool2d,
  globalAvgPool,
  linear,
  softmax,
  dropout,
  backward: Object.freeze(backward),
});
