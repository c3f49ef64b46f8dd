/**
 * Shared batch statistics in a dense block (nn/batchnorm.ts SharedBatchStats): in a training step every block
 * channel's mean and variance is computed once, however many later layers (and the transition or norm5) read
 * it, so the channels channelStats sees add up to each block's width once plus the bottlenecks, not the
 * O(L^2) sum of every layer's input width.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { getBackend } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** A backend that counts the channels passed to channelStats. */
function counting(be: Backend): { backend: Backend; channels: () => number } {
  let total = 0;
  const backend: Backend = {
    ...be,
    channelStats(c, s, x, mean, variance): void {
      total += c;
      be.channelStats(c, s, x, mean, variance);
    },
  };
  return { backend, channels: () => total };
}

for (const stem of ['cifar', 'imagenet'] as const) {
  test(`${stem} stem: one training step computes each block channel's batch statistics once`, async () => {
    const net = new DenseNet({ growthRate: 4, blockConfig: [3, 2], initFeatures: 8, bnSize: 2, stem, numClasses: 3 }, 0).train();
    const size = stem === 'cifar' ? 8 : 32;
    const rng = new Rng(3);
    const x = new Tensor(new Float32Array(2 * 3 * size * size).map(() => rng.normal()), [2, 3, size, size]);
    const { backend, channels } = counting(await getBackend('reference'));
    net.lossAndGrad(x, Int32Array.from([0, 2]), backend);
    const blocks = net.features.blocks;
    const layers = blocks.reduce((s, b) => s + b.layers.length, 0);
    const stemNorm = stem === 'imagenet' ? 8 : 0;
    const expected = stemNorm + blocks.reduce((s, b) => s + b.outChannels, 0) + layers * 2 * 4; // + every norm2 (bnSize*k)
    assert.equal(channels(), expected);
    // without sharing every layer would normalise its whole input: block 1 alone reads 8 + 12 + 16 channels
    assert.ok(expected < stemNorm + (8 + 12 + 16) + 20 + (10 + 14) + 18 + layers * 8);
  });
}
