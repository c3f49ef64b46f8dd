/**
 * Whole-model parity with PyTorch: logits and intermediate features of torchvision's DenseNet (ImageNet stem)
 * and of the CIFAR twin in reference/densenet_ref.py (DenseNet-BC and basic, grayscale input), on every backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import type { FeatureMap } from '../../src/nn/context.js';
import { DenseNet } from '../../src/models/densenet.js';
import { cnhwToNchw } from '../../src/tensor/layout.js';
import { assertClose } from '../helpers/check.js';
import { get, loadModelFixture } from '../helpers/fixtures.js';

const backends = await availableBackends();
const FILES = ['tiny-imagenet.safetensors', 'tiny-cifar-bc.safetensors', 'tiny-cifar-basic.safetensors'];

for (const file of FILES) {
  const fx = loadModelFixture(file);
  const taps = JSON.parse(fx.metadata.taps) as string[];
  for (const backend of backends) {
    test(`${backend.name} ${file}: logits and features match PyTorch within 1e-4`, () => {
      const model = new DenseNet(fx.config, 0, { init: false });
      model.loadStateDict(fx.state);
      model.eval();
      // plain forward (no hooks), then one that taps intermediate features: both must give torch's logits
      assertClose(model.forward(get(fx, 'input'), backend).data, get(fx, 'logits').data, `${file} logits`, 1e-4);
      const seen = new Map<string, FeatureMap>();
      const logits = model.forward(get(fx, 'input'), backend, {
        tap: (path, x) => seen.set(path, { ...x, data: x.data.slice() }),
      });
      assertClose(logits.data, get(fx, 'logits').data, `${file} logits (tapped)`, 1e-4);
      for (const name of taps) {
        const x = seen.get(name);
        assert.ok(x, `no tap ${name}`);
        let expected = get(fx, `out.${name}`).data;
        // our norm5 runs fused with the ReLU torchvision applies after it
        if (name === 'features.norm5') expected = expected.map((v) => Math.max(v, 0));
        assertClose(cnhwToNchw(x.data, x.n, x.c, x.h, x.w), expected, `${file} ${name}`, 1e-4);
      }
    });
  }
}

test('backends under test', () => {
  // documents in the test log which backends ran the parity tests on this machine
  assert.ok(backends.length >= 1, 'at least the reference backend');
  console.log(`parity ran on: ${backends.map((b) => b.name).join(', ')}`);
});
