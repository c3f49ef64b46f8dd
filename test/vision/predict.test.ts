/** softmax/top-k over a batch of logits, and the listing of image files from files and folders. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tensor } from '../../src/tensor/tensor.js';
import { listImageFiles } from '../../src/vision/files.js';
import { softmaxRows, topK } from '../../src/vision/predict.js';

test('softmaxRows: rows sum to 1, shift-invariant, large logits do not overflow', () => {
  const p = softmaxRows(new Tensor(Float32Array.from([0, Math.log(3), 1000, 1000 + Math.log(3)]), [2, 2]));
  assert.ok(Math.abs(p[0][0] - 0.25) < 1e-7 && Math.abs(p[0][1] - 0.75) < 1e-7);
  assert.ok(Math.abs(p[1][0] - 0.25) < 1e-4 && Math.abs(p[1][0] + p[1][1] - 1) < 1e-12);
});

test('topK [2,4] k=3: most probable first, ties by lower index, labels by index; k clamped to the classes', () => {
  const logits = new Tensor(Float32Array.from([1, 3, 3, 0, -1, -2, 5, 0]), [2, 4]);
  const t = topK(logits, 3, ['a', 'b', 'c', 'd']);
  assert.deepEqual(t[0].map((c) => [c.index, c.label]), [[1, 'b'], [2, 'c'], [0, 'a']]);
  assert.deepEqual(t[1].map((c) => c.index), [2, 3, 0]);
  assert.equal(topK(logits, 9, ['a', 'b', 'c', 'd'])[0].length, 4);
  assert.throws(() => topK(logits, 0, ['a', 'b', 'c', 'd']), /k must be a positive integer/);
  assert.throws(() => topK(logits, 1, ['a']), /1 class names for 4 classes/);
});

test('listImageFiles: folders recursive and sorted, .jpg .jpeg .png .webp any case; files as given; missing reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-files-'));
  mkdirSync(join(dir, 'sub'));
  mkdirSync(join(dir, 'empty'));
  for (const f of ['b.JPG', 'a.png', 'notes.txt', 'sub/c.WebP', 'sub/d.jpeg', '.hidden.jpg']) writeFileSync(join(dir, f), '');
  const r = listImageFiles([dir, join(dir, 'notes.txt'), join(dir, 'nope.jpg'), join(dir, 'empty')]);
  assert.deepEqual(r.files, ['a.png', 'b.JPG', 'sub/c.WebP', 'sub/d.jpeg', 'notes.txt'].map((f) => join(dir, f)));
  assert.deepEqual(r.errors, [`${join(dir, 'nope.jpg')}: no such file or folder`, `${join(dir, 'empty')}: no images (.jpg .jpeg .png .webp) in the folder`]);
});
