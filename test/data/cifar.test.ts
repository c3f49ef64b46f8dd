import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CIFAR10_CLASSES, loadCifar10, loadCifar100 } from '../../src/data/cifar.js';
import { resolveData } from '../../src/data/resolve.js';

const tmp = mkdtempSync(join(tmpdir(), 'cifar-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Records whose pixel bytes encode (record number, position) so every copy is checkable. */
function records(labelBytes: number[][], start: number): Uint8Array {
  const rec = labelBytes[0].length + 3072;
  const out = new Uint8Array(labelBytes.length * rec);
  labelBytes.forEach((lb, r) => {
    out.set(lb, r * rec);
    for (let p = 0; p < 3072; p++) out[r * rec + lb.length + p] = (start + r + p) % 251;
  });
  return out;
}

test('cifar10: 5 train batches of 2 records + test batch, in the usual sub-folder', () => {
  const root = join(tmp, 'c10', 'cifar-10-batches-bin');
  mkdirSync(root, { recursive: true });
  for (let b = 1; b <= 5; b++) writeFileSync(join(root, `data_batch_${b}.bin`), records([[b], [9 - b]], 2 * (b - 1)));
  writeFileSync(join(root, 'test_batch.bin'), records([[7], [0], [3]], 100));
  writeFileSync(join(root, 'batches.meta.txt'), CIFAR10_CLASSES.join('\n') + '\n\n');
  const train = loadCifar10(join(tmp, 'c10'), 'train');
  assert.equal(train.size, 10);
  assert.deepEqual([train.channels, train.height, train.width], [3, 32, 32]);
  assert.deepEqual(Array.from({ length: 10 }, (_, i) => train.label(i)), [1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
  assert.equal(train.image(3)[0], 3);
  assert.equal(train.image(3)[1024 + 5], (3 + 1024 + 5) % 251); // G plane, CHW kept
  assert.deepEqual(train.classNames, CIFAR10_CLASSES);
  const test10 = loadCifar10(root, 'test');
  assert.equal(test10.size, 3);
  assert.equal(test10.label(0), 7);
  assert.equal(test10.image(2)[3071], (102 + 3071) % 251);
});

test('resolveData cifar10:DIR and cifar100:DIR (test split optional)', async () => {
  const r = await resolveData(`cifar10:${join(tmp, 'c10')}`);
  assert.deepEqual([r.train.size, r.test?.size], [10, 3]);
  const dir = join(tmp, 'c100only');
  mkdirSync(dir);
  writeFileSync(join(dir, 'train.bin'), records([[0, 5]], 0));
  const r100 = await resolveData(`cifar100:${dir}`);
  assert.equal(r100.train.label(0), 5);
  assert.equal(r100.test, undefined);
});

test('cifar10: missing batch and bad length are clear errors', () => {
  const dir = join(tmp, 'c10bad');
  mkdirSync(dir);
  writeFileSync(join(dir, 'data_batch_1.bin'), records([[1]], 0));
  assert.throws(() => loadCifar10(dir, 'train'), /cifar10: missing file .*data_batch_2.bin/);
  writeFileSync(join(dir, 'test_batch.bin'), new Uint8Array(3073 + 10));
  assert.throws(() => loadCifar10(dir, 'test'), /test_batch.bin: cifar10: 3083 bytes is not a whole number of 3073-byte records/);
  assert.throws(() => loadCifar10(join(tmp, 'nope'), 'test'), /cifar10: folder not found/);
});

test('cifar100: fine labels by default, coarse on request, names file', () => {
  const root = join(tmp, 'c100', 'cifar-100-binary');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'train.bin'), records([[4, 99], [19, 0], [0, 42]], 0));
  writeFileSync(join(root, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n'));
  const fine = loadCifar100(join(tmp, 'c100'), 'train');
  assert.equal(fine.size, 3);
  assert.equal(fine.numClasses, 100);
  assert.deepEqual([fine.label(0), fine.label(1), fine.label(2)], [99, 0, 42]);
  assert.equal(fine.classNames[42], 'fine42');
  assert.equal(fine.image(1)[0], 1);
  const coarse = loadCifar100(root, 'train', { labels: 'coarse' });
  assert.deepEqual([coarse.label(0), coarse.label(1)], [4, 19]);
  assert.equal(coarse.classNames[19], '19');
  writeFileSync(join(root, 'test.bin'), new Uint8Array(3074 * 2 - 1));
  assert.throws(() => loadCifar100(root, 'test'), /not a whole number of 3074-byte records \(2 label bytes \+ 3072 pixels\)/);
});
