/** The named variants: trainable parameter counts from the table (torchvision's and the paper's). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DenseNet } from '../../src/models/densenet.js';
import { resolveConfig } from '../../src/models/config.js';
import { summarize } from '../../src/models/summary.js';
import { variantConfig, variantNames } from '../../src/models/variants.js';
import { EXPECTED_PARAMS } from '../helpers/expected.js';


test('every named variant is in the table', () => {
  assert.deepEqual(variantNames().sort(), Object.keys(EXPECTED_PARAMS).sort());
});

for (const [name, params] of Object.entries(EXPECTED_PARAMS)) {
  test(`${name} has ${params} trainable parameters`, () => {
    assert.equal(new DenseNet(variantConfig(name), 0, { init: false }).numParameters(), params);
  });
}

test('densenet121 at 3x224x224: 2.834 G MACs (torchvision) and a 7x7 final feature map', () => {
  const s = summarize(new DenseNet(variantConfig('densenet121'), 0, { init: false }), 3, 224, 224);
  assert.equal(s.macs, 2_834_161_664);
  assert.deepEqual(s.blocks.map((b) => [b.layers, b.connections, b.channelsIn, b.channelsOut]), [
    [6, 21, 64, 256], [12, 78, 128, 512], [24, 300, 256, 1024], [16, 136, 512, 1024],
  ]);
  assert.deepEqual(s.blocks[3].size, [7, 7]);
});

test('state_dict names and order are torchvision-like', () => {
  const keys = [...new DenseNet(variantConfig('densenet121'), 0, { init: false }).stateDict().keys()];
  assert.equal(keys.length, 727); // torchvision densenet121().state_dict() has 727 entries
  assert.deepEqual(keys.slice(0, 7), [
    'features.conv0.weight', 'features.norm0.weight', 'features.norm0.bias', 'features.norm0.running_mean',
    'features.norm0.running_var', 'features.norm0.num_batches_tracked', 'features.denseblock1.denselayer1.norm1.weight',
  ]);
  assert.ok(keys.includes('features.transition1.conv.weight'));
  assert.ok(keys.includes('features.norm5.running_var'));
  assert.deepEqual(keys.slice(-2), ['classifier.weight', 'classifier.bias']);
});

test('bad configs name the field', () => {
  assert.throws(() => resolveConfig({ growthRate: 0 }), /growthRate must be a positive integer/);
  assert.throws(() => resolveConfig({ compression: 1.5 }), /compression \(theta\) must be in \(0, 1\]/);
  assert.throws(() => resolveConfig({ blockConfig: [] }), /blockConfig/);
  assert.throws(() => resolveConfig({ stem: 'x' as 'cifar' }), /stem must be/);
  assert.throws(() => resolveConfig({ grothRate: 3 } as never), /unknown field 'grothRate'/);
  assert.throws(() => variantConfig('densenet12'), /unknown model 'densenet12'/);
});

test('torchvision-style init: kaiming-normal convs, BN at identity, zero classifier bias', () => {
  const m = new DenseNet({ growthRate: 8, blockConfig: [2, 2], initFeatures: 16, numClasses: 5 }, 1);
  const w = m.features.conv0.weight.data; // fan_in = 3*7*7 = 147, std sqrt(2/147) = 0.1166
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 147)) < 0.01, `conv0 std ${std}`);
  assert.ok(m.features.norm0!.weight.data.every((v) => v === 1));
  assert.ok(m.classifier.bias.data.every((v) => v === 0));
  const again = new DenseNet({ growthRate: 8, blockConfig: [2, 2], initFeatures: 16, numClasses: 5 }, 1);
  assert.deepEqual(again.features.conv0.weight.data, w, 'same seed, same weights');
});
