/**
 * A backend whose ops compute nothing: running a model on it walks the real forward (and backward) pass for
 * shapes, MACs and workspace sizes without the arithmetic. Used by summaries and memory planning only.
 */
import type { Backend, BackwardOps } from './backend.js';

const noop = (): void => {};

const backward: BackwardOps = {
  conv2d: noop,
  batchNorm: noop,
  relu: noop,
  maxPool2d: noop,
  avgPool2d: noop,
  globalAvgPool: noop,
  linear: noop,
  softmaxCrossEntropy: () => 0,
};

export const dryRunBackend: Backend = Object.freeze({
  name: 'reference',
  threads: 1,
  gemm: noop,
  conv2d: noop,
  scaleShift: noop,
  channelStats: noop,
  relu: noop,
  maxPool2d: noop,
  avgPool2d: noop,
  globalAvgPool: noop,
  linear: noop,
  softmax: noop,
  dropout: noop,
  backward,
});
