/**
 * A Backend whose ops return at once, computing nothing: a forward through it costs only the model's own
 * JavaScript (BN folding, views, checks, the input conversion), which bench/infer-profile.ts reports on its own.
 * Not for anything but timing: every output stays as it was.
 */
import type { Backend } from '../src/backend/backend.js';

const nothing = (): void => {};

export const NULL_OPS: Backend = {
  name: 'native', threads: 1, gemm: nothing, conv2d: nothing, scaleShift: nothing, channelStats: nothing, relu: nothing,
  maxPool2d: nothing, avgPool2d: nothing, globalAvgPool: nothing, linear: nothing, softmax: nothing, dropout: nothing,
};
