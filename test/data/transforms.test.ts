import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromArrays } from '../../src/data/dataset.js';
import {
  augmentNormalize, computeMeanStd, cropFlip, drawAugment, normalize, normalizeTable, randomCrop, randomHorizontalFlip,
} from '../../src/data/transforms.js';
import { Rng } from '../../src/tensor/rng.js';

// A 2-channel 3x3 image: channel c, row y, col x holds 100c + 10y + x.
const shape = { channels: 2, height: 3, width: 3 };
const img = Uint8Array.from({ length: 18 }, (_, i) => 100 * Math.floor(i / 9) + 10 * Math.floor((i % 9) / 3) + (i % 3));
const rows = (a: ArrayLike<number>, c: number): number[][] => [0, 1, 2].map((y) => Array.from({ length: 3 }, (_, x) => a[c * 9 + y * 3 + x]));

test('cropFlip [2,3,3] pad=1: shifted crop with zero padding', () => {
  const out = cropFlip(img, shape, 1, { dx: 2, dy: 0, flip: false }, new Uint8Array(18));
  // window starts at padded (0, 2) = source (-1, 1): top row is padding, columns 1..2 then padding.
  assert.deepEqual(rows(out, 0), [[0, 0, 0], [1, 2, 0], [11, 12, 0]]);
  assert.deepEqual(rows(out, 1), [[0, 0, 0], [101, 102, 0], [111, 112, 0]]);
  const centre = cropFlip(img, shape, 1, { dx: 1, dy: 1, flip: false }, new Uint8Array(18));
  assert.deepEqual([...centre], [...img]);
});

test('cropFlip [2,3,3]: horizontal flip mirrors columns, after the crop', () => {
  const f = cropFlip(img, shape, 0, { dx: 0, dy: 0, flip: true }, new Uint8Array(18));
  assert.deepEqual(rows(f, 0), [[2, 1, 0], [12, 11, 10], [22, 21, 20]]);
  const cf = cropFlip(img, shape, 1, { dx: 2, dy: 1, flip: true }, new Uint8Array(18));
  assert.deepEqual(rows(cf, 0), [[0, 2, 1], [0, 12, 11], [0, 22, 21]]);
  const asFloat = cropFlip(Float32Array.from(img), shape, 1, { dx: 2, dy: 1, flip: true }, new Float32Array(18));
  assert.deepEqual([...asFloat], [...cf]);
});

test('random crop and flip: seeded, offsets within [0, 2*pad], flip about half the time', () => {
  const a = randomCrop(img, shape, 1, new Rng(3), new Uint8Array(18));
  const b = randomCrop(img, shape, 1, new Rng(3), new Uint8Array(18));
  assert.deepEqual([...a], [...b]);
  const rng = new Rng(11);
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const s = drawAugment(rng, { pad: 4, flip: true });
    assert.ok(s.dx >= 0 && s.dx <= 8 && s.dy >= 0 && s.dy <= 8);
    if (s.flip) flips++;
  }
  assert.ok(flips > 900 && flips < 1100, `flips ${flips}`);
  const f = randomHorizontalFlip(img, shape, new Rng(5), new Uint8Array(18));
  assert.ok([...f].join() === [...img].join() || f[0] === 2);
});

test('normalize [2,3,3]: (x/255 - mean[c]) / std[c]; fused augment matches crop then normalise', () => {
  const mean = [0.5, 0.25];
  const std = [0.5, 0.2];
  const out = normalize(img, shape, mean, std);
  for (let i = 0; i < 18; i++) {
    const c = i < 9 ? 0 : 1;
    assert.ok(Math.abs(out[i] - (img[i] / 255 - mean[c]) / std[c]) < 1e-6);
  }
  const a = { dx: 0, dy: 2, flip: true };
  const fused = new Float32Array(18 + 5);
  augmentNormalize(img, shape, 1, a, normalizeTable(mean, std, 2), fused, 5);
  const ref = normalize(cropFlip(img, shape, 1, a, new Uint8Array(18)), shape, mean, std);
  assert.deepEqual([...fused.subarray(5)], [...ref]);
  assert.throws(() => normalize(img, shape, [0.5, 0.5, 0.5], [1]), /mean has 3 values but the images have 2 channels/);
});

test('computeMeanStd: per channel, in [0,1] units', () => {
  // Channel 0 is 0 or 255 (mean 0.5, std 0.5); channel 1 is constant 51 (mean 0.2, std 0).
  const ds = fromArrays([Uint8Array.of(0, 255, 51, 51), Uint8Array.of(255, 0, 51, 51)], [0, 1], [2, 1, 2], ['a', 'b']);
  const { mean, std } = computeMeanStd(ds);
  assert.ok(Math.abs(mean[0] - 0.5) < 1e-12 && Math.abs(std[0] - 0.5) < 1e-12);
  assert.ok(Math.abs(mean[1] - 0.2) < 1e-12 && std[1] === 0);
});
