/**
 * ResNet definition: parameter counts of every named variant (asserted against reference/make_resnet_fixtures.py),
 * torchvision's state_dict names and shapes for resnet18/50, config validation and input errors. Numerical parity
 * with PyTorch is in resnet-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { referenceBackend } from '../../src/backend/reference/index.js';
import { resolveResNetConfig, resnetDepth, ResNet } from '../../src/models/resnet.js';
import { createResNet, resnetVariantConfig, resnetVariantNames } from '../../src/models/variants-resnet.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { FIXTURES } from '../helpers/fixtures.js';

const EXPECTED_PARAMS: Record<string, number> = {
  resnet20: 272_282,
  resnet56: 855_578,
  resnet110: 1_730_522,
  resnet164: 1_703_258,
  resnet1001: 10_327_706,
  resnet18: 11_689_512,
  resnet50: 25_557_032,
};

test('every named ResNet is in the table', () => {
  assert.deepEqual(resnetVariantNames().sort(), Object.keys(EXPECTED_PARAMS).sort());
});

for (const [name, params] of Object.entries(EXPECTED_PARAMS)) {
  test(`${name} has ${params} trainable parameters and depth ${name.slice(6)}`, () => {
    const m = createResNet(name, {}, 0, { init: false });
    assert.equal(m.numParameters(), params);
    assert.equal(resnetDepth(m.config), Number(name.slice(6)));
  });
}

test('overrides: numClasses and inChannels change only the stem and the classifier', () => {
  const m = createResNet('resnet20', { numClasses: 100, inChannels: 1 }, 0, { init: false });
  assert.deepEqual(m.fc.weight.shape, [100, 64]);
  assert.deepEqual(m.conv1.weight.shape, [16, 1, 3, 3]);
  assert.equal(m.family, 'resnet');
  assert.deepEqual(m.modelConfig, { kind: 'cifar-preact', block: 'basic', layers: [3, 3, 3], widths: [16, 32, 64], numClasses: 100, inChannels: 1 });
  // the config round-trips through JSON
  assert.equal(new ResNet(JSON.parse(JSON.stringify(m.modelConfig)) as object, 0, { init: false }).numParameters(), m.numParameters());
});

interface KeyFile {
  resnet18: [string, number[]][];
  resnet50: [string, number[]][];
}
const keys = JSON.parse(readFileSync(FIXTURES + 'models/resnet-torchvision-keys.json', 'utf8')) as KeyFile;
for (const name of ['resnet18', 'resnet50'] as const) {
  test(`${name}: state_dict names, order and shapes are torchvision's (${keys[name].length} keys)`, () => {
    const ours = createResNet(name, {}, 0, { init: false }).namedState().map(([k, t]): [string, number[]] => [k, [...t.shape]]);
    assert.deepEqual(ours, keys[name]);
  });
}

test('seeded init: torchvision scheme (fan-out Kaiming convs, BN 1/0), the same seed gives the same weights', () => {
  const a = createResNet('resnet20', {}, 7);
  const b = createResNet('resnet20', {}, 7);
  const w = a.conv1.weight.data;
  assert.deepEqual(w, b.conv1.weight.data);
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / (16 * 9))) < 0.03, `conv1 std ${std}`);
  assert.ok(a.stateDict().get('layer1.0.bn1.weight')!.data.every((v) => v === 1));
});

test('forward on the reference backend: logits shape for CIFAR and ImageNet inputs', () => {
  const cifar = createResNet('resnet20', {}, 1).eval();
  assert.deepEqual(cifar.forward(Tensor.zeros([2, 3, 32, 32]), referenceBackend).shape, [2, 10]);
  const tiny = new ResNet({ kind: 'imagenet', layers: [1, 1, 1, 1], widths: [4, 4, 8, 8], numClasses: 3 }, 1).eval();
  assert.deepEqual(tiny.forward(Tensor.zeros([1, 3, 35, 29]), referenceBackend).shape, [1, 3]);
});

test('bad input: wrong channels, rank, training without train mode', () => {
  const m = createResNet('resnet20', {}, 0, { init: false });
  assert.throws(() => m.forward(Tensor.zeros([1, 1, 32, 32]), referenceBackend), /resnet: input has 1 channels but the model expects 3 \(input \[1,1,32,32\]\)/);
  assert.throws(() => m.forward(Tensor.zeros([3, 32, 32]), referenceBackend), /resnet: input must be \[N, C, H, W\]/);
  assert.throws(() => m.lossAndGrad(Tensor.zeros([2, 3, 32, 32]), new Int32Array(2), referenceBackend), /eval mode/);
  m.train();
  assert.throws(() => m.lossAndGrad(Tensor.zeros([2, 3, 32, 32]), new Int32Array(3), referenceBackend), /3 labels for a batch of 2/);
});

test('config validation names the field', () => {
  const bad: [object, RegExp][] = [
    [{ kind: 'cifar', depth: 20 }, /config: kind must be 'cifar-preact' or 'imagenet'/],
    [{ kind: 'cifar-preact', depth: 21 }, /config: depth 21 is not 6n\+2/],
    [{ kind: 'cifar-preact', depth: 26, block: 'bottleneck' }, /config: depth 26 is not 9n\+2/],
    [{ kind: 'imagenet', depth: 20 }, /config: depth 20 is not a torchvision ResNet/],
    [{ kind: 'imagenet', depth: 50, block: 'basic' }, /config: block 'basic' contradicts depth 50/],
    [{ kind: 'cifar-preact' }, /config: give layers .* or depth/],
    [{ kind: 'cifar-preact', layers: [3, 3] }, /config: widths has 3 entries but layers has 2 stages \(give widths\)/],
    [{ kind: 'cifar-preact', layers: [3, 0, 3] }, /config: layers must be a positive integer, got 0/],
    [{ kind: 'cifar-preact', depth: 20, numClasses: 1.5 }, /config: numClasses must be a positive integer/],
    [{ kind: 'cifar-preact', depth: 20, growthRate: 12 }, /config: unknown field 'growthRate'/],
    [{ kind: 'cifar-preact', depth: 20, layers: [2, 2, 2] }, /contradict depth 20/],
  ];
  for (const [cfg, re] of bad) assert.throws(() => resolveResNetConfig(cfg), re, JSON.stringify(cfg));
  assert.throws(() => resnetVariantConfig('resnet19'), /unknown model 'resnet19' \(known ResNets: resnet20, /);
  assert.deepEqual(resolveResNetConfig({ kind: 'imagenet', depth: 101 }).layers, [3, 4, 23, 3]);
  assert.deepEqual(resolveResNetConfig({ kind: 'cifar-preact', depth: 14, widths: [8, 16] }).layers, [3, 3]);
});
