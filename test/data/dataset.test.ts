import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromArrays, sharedStorage, splitValidation, subset } from '../../src/data/dataset.js';

const names = ['a', 'b', 'c'];

test('fromArrays: concatenated and per-sample images, CHW views', () => {
  const flat = Uint8Array.from({ length: 4 * 2 * 2 * 2 }, (_, i) => i);
  const ds = fromArrays(flat, [0, 1, 2, 1], [2, 2, 2], names);
  assert.equal(ds.size, 4);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual([...ds.image(2)], [16, 17, 18, 19, 20, 21, 22, 23]);
  assert.equal(ds.label(3), 1);
  const per = fromArrays([ds.image(0), ds.image(1)], [2, 0], { channels: 2, height: 2, width: 2 }, names);
  assert.deepEqual([...per.image(1)], [...ds.image(1)]);
  assert.ok(ds.pixels.buffer instanceof SharedArrayBuffer);
});

test('fromArrays: label out of range and byte count mismatch', () => {
  const labels = [0, 1, 2, 3, 4, 12, 0];
  assert.throws(() => fromArrays(new Uint8Array(7), labels, [1, 1, 1], Array.from({ length: 10 }, String)),
    { message: 'labels out of range: label 12 at index 5 but numClasses is 10' });
  assert.throws(() => fromArrays(new Uint8Array(5), [0, 1], [1, 2, 2], names), /images have 5 bytes but 2 labels x 1x2x2 need 8/);
  assert.throws(() => fromArrays(new Uint8Array(2), [0, 1.5], [1, 1, 1], names), /label 1.5 at index 1/);
});

test('subset and splitValidation: seeded, disjoint, complete', () => {
  const n = 100;
  const ds = fromArrays(Uint8Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => i % 3), [1, 1, 1], names);
  const s = subset(ds, [5, 7, 9]);
  assert.equal(s.size, 3);
  assert.equal(s.image(1)[0], 7);
  assert.equal(s.label(2), 0);
  assert.throws(() => subset(ds, [100]), /index 100 at position 0 is out of range/);
  const a = splitValidation(ds, 0.2, 7);
  const b = splitValidation(ds, 0.2, 7);
  const c = splitValidation(ds, 0.2, 8);
  assert.equal(a.val.size, 20);
  assert.equal(a.train.size, 80);
  assert.deepEqual([...a.val.indices], [...b.val.indices]);
  assert.notDeepEqual([...a.val.indices], [...c.val.indices]);
  const all = [...a.train.indices, ...a.val.indices].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
  // Subsets of subsets share the root storage through a composed index map.
  const st = sharedStorage(subset(a.train, [0, 1]));
  assert.equal(st.pixels, ds.pixels);
  assert.deepEqual([...st.index!], [a.train.indices[0], a.train.indices[1]]);
});
