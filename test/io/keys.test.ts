// Tests for src/io/keys.ts: key normalisation (legacy DenseNet names, module.) and loadStrict's one combined error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeKey, normalizeStateDict } from '../../src/io/keys.js';
import { loadStrict } from '../../src/nn/state-dict.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertError } from './fixtures.js';

test('keys: legacy torchvision DenseNet names and the DataParallel prefix', () => {
  const cases: [string, string][] = [
    ['features.denseblock1.denselayer1.norm.1.weight', 'features.denseblock1.denselayer1.norm1.weight'],
    ['features.denseblock3.denselayer12.conv.2.weight', 'features.denseblock3.denselayer12.conv2.weight'],
    ['module.features.denseblock1.denselayer1.norm.2.running_var', 'features.denseblock1.denselayer1.norm2.running_var'],
    ['module.features.conv0.weight', 'features.conv0.weight'],
    ['features.denseblock1.denselayer1.norm1.num_batches_tracked', 'features.denseblock1.denselayer1.norm1.num_batches_tracked'],
    ['features.transition1.norm.weight', 'features.transition1.norm.weight'], // not a dense layer: untouched
    ['features.denseblock1.denselayer1.norm.3.weight', 'features.denseblock1.denselayer1.norm.3.weight'],
    ['classifier.module.weight', 'classifier.module.weight'], // only a leading prefix is stripped
  ];
  for (const [from, to] of cases) assert.equal(normalizeKey(from), to, from);
});

test('keys: normalizeStateDict keeps order and tensors, and refuses two keys that collide', () => {
  const a = Tensor.zeros([1]);
  const b = Tensor.zeros([2]);
  const out = normalizeStateDict(new Map([['module.x.denselayer1.conv.1.weight', a], ['module.y', b]]));
  assert.deepEqual([...out.keys()], ['x.denselayer1.conv1.weight', 'y']);
  assert.equal(out.get('y'), b);
  assertError(() => normalizeStateDict(new Map([['y', a], ['module.y', b]])),
    /^state_dict: keys 'y' and 'module\.y' both normalise to 'y'$/);
});

const model = new Map<string, readonly number[]>([
  ['features.conv0.weight', [8, 3, 7, 7]],
  ['features.norm0.weight', [8]],
  ['features.norm0.num_batches_tracked', []],
  ['classifier.weight', [10, 1024]],
  ['classifier.bias', [10]],
]);

test('keys: loadStrict accepts a matching state_dict, with or without num_batches_tracked', () => {
  const got = new Map([...model].filter(([k]) => !k.endsWith('tracked')).map(([k, s]) => [k, Tensor.zeros(s)] as const));
  loadStrict(model, got, {});
  got.set('features.norm0.num_batches_tracked', Tensor.zeros([]));
  loadStrict(model, got, {});
  got.set('features.norm9.num_batches_tracked', Tensor.zeros([])); // a file's extra counter is not an error
  loadStrict(model, got, {});
});

test('keys: loadStrict reports missing, unexpected and mis-shaped keys in one error', () => {
  const got = new Map([
    ['features.norm0.weight', Tensor.zeros([8])],
    ['classifier.weight', Tensor.zeros([1000, 1024])],
    ['classifier.bias', Tensor.zeros([1000])],
    ['foo', Tensor.zeros([1])],
  ]);
  assertError(() => loadStrict(model, got, {}), new RegExp('^load_state_dict: 1 missing key \\(features\\.conv0\\.weight\\), ' +
    '1 unexpected key \\(foo\\), 2 shape mismatches \\(classifier\\.weight: file \\[1000,1024\\] vs model \\[10,1024\\], ' +
    'classifier\\.bias: file \\[1000\\] vs model \\[10\\]\\)$'));
  loadStrict(model, new Map([...got].filter(([k]) => k.startsWith('features'))).set('classifier.weight', Tensor.zeros([10, 1024])), {
    optional: (n) => n.startsWith('classifier') || n === 'features.conv0.weight',
  });
});

test('keys: loadStrict caps each list at 10 names', () => {
  const many = new Map<string, readonly number[]>(Array.from({ length: 25 }, (_, i) => [`p${i}`, [1]]));
  const msg = assertError(() => loadStrict(many, new Map(), {}), /^load_state_dict: 25 missing keys \(p0, p1, .*, p9, and 15 more\)$/);
  assert.ok(!msg.includes('p10'));
});
