import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { DataLoader } from '../../src/data/loader.js';
import { FASHION_MNIST_DIR, resolveData } from '../../src/data/resolve.js';
import { computeMeanStd, STATS } from '../../src/data/transforms.js';

const skip = existsSync(FASHION_MNIST_DIR) ? false : `${FASHION_MNIST_DIR} not found (apt-get install dataset-fashion-mnist)`;

test('fashion-mnist from the Debian package: 60000 + 10000 28x28, 6000 per class in train', { skip }, async () => {
  const { train, test: testSet } = await resolveData('fashion-mnist');
  assert.ok(testSet);
  assert.equal(train.size, 60000);
  assert.equal(testSet.size, 10000);
  assert.deepEqual([train.channels, train.height, train.width, train.numClasses], [1, 28, 28, 10]);
  assert.equal(train.classNames[0], 'T-shirt/top');
  assert.equal(train.classNames[9], 'Ankle boot');
  const hist = (ds: typeof train): number[] => {
    const h = new Array<number>(10).fill(0);
    for (let i = 0; i < ds.size; i++) h[ds.label(i)]++;
    return h;
  };
  assert.deepEqual(hist(train), new Array(10).fill(6000));
  assert.deepEqual(hist(testSet), new Array(10).fill(1000));
  const { mean, std } = computeMeanStd(train);
  assert.ok(Math.abs(mean[0] - STATS.fashionMnist.mean[0]) < 1e-3, `mean ${mean}`);
  assert.ok(Math.abs(std[0] - STATS.fashionMnist.std[0]) < 1e-3, `std ${std}`);
  // One augmented batch through a worker: shape and normalised range.
  const loader = new DataLoader(testSet, { batchSize: 64, augment: { pad: 2, flip: true }, mean, std, seed: 3 });
  try {
    for await (const b of loader.epoch(0)) {
      assert.equal(b.x.length, 64 * 28 * 28);
      const lo = -mean[0] / std[0];
      assert.ok(b.x.every((v) => v >= lo - 1e-5 && v <= (1 - mean[0]) / std[0] + 1e-5));
      break;
    }
  } finally {
    await loader.close();
  }
});
