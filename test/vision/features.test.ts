/**
 * extractFeatures: the torchvision-named feature maps of one eval forward pass against the PyTorch fixtures'
 * intermediate features (test/fixtures/models, written by reference/make_fixtures.py), the embedding against the
 * spatial mean of features.norm5, and the logits against model.forward.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceBackend } from '../../src/backend/reference/index.js';
import { getBackend } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { extractFeatures } from '../../src/vision/features.js';
import { assertClose } from '../helpers/check.js';
import { get, loadModelFixture } from '../helpers/fixtures.js';

const backend = await getBackend();

for (const file of ['tiny-imagenet.safetensors', 'tiny-cifar-bc.safetensors']) {
  test(`extractFeatures ${file} (${backend.name}): maps match PyTorch, embedding = mean of norm5, logits = forward`, () => {
    const fx = loadModelFixture(file);
    const model = new DenseNet(fx.config, 0, { init: false });
    model.loadStateDict(fx.state);
    model.eval();
    const x = get(fx, 'input');
    const { features, embedding, logits } = extractFeatures(model, x, backend);
    const nBlocks = fx.config.blockConfig.length;
    const names = [
      ...Array.from({ length: nBlocks }, (_, i) => `features.denseblock${i + 1}`),
      ...Array.from({ length: nBlocks - 1 }, (_, i) => `features.transition${i + 1}`),
      'features.norm5', 'embedding',
    ];
    for (const n of names) assert.ok(features.has(n), `no feature ${n} (have ${[...features.keys()].join(', ')})`);

    for (const name of JSON.parse(fx.metadata.taps) as string[]) {
      const ref = get(fx, `out.${name}`);
      // torchvision's forward applies F.relu after norm5
      const expected = name === 'features.norm5' ? ref.data.map((v) => Math.max(v, 0)) : ref.data;
      assert.deepEqual(features.get(name)!.shape, ref.shape, name);
      assertClose(features.get(name)!.data, expected, `${file} ${name}`, 1e-4);
    }

    // the maps are copies: the two block slots the engine alternates did not overwrite block 1's tap
    const [N, C, H, W] = features.get('features.norm5')!.shape;
    assert.deepEqual(embedding.shape, [N, C]);
    const mean = new Float32Array(N * C);
    const norm5 = features.get('features.norm5')!.data;
    for (let i = 0; i < N * C; i++) {
      let s = 0;
      for (let p = 0; p < H * W; p++) s += norm5[i * H * W + p];
      mean[i] = s / (H * W);
    }
    assertClose(embedding.data, mean, 'embedding vs mean(norm5)', 1e-5);
    assertClose(logits.data, model.forward(x, backend).data, 'logits vs forward', 0);
    assertClose(logits.data, get(fx, 'logits').data, 'logits vs PyTorch', 1e-4);
  });
}

test('extractFeatures leaves a model in training mode as it was, on the reference backend', () => {
  const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 }, 1);
  model.train();
  const x = get(loadModelFixture('tiny-cifar-bc.safetensors'), 'input');
  const { embedding, logits } = extractFeatures(model, x, referenceBackend);
  assert.equal(model.training, true);
  assert.deepEqual(embedding.shape, [3, model.features.outChannels]);
  assert.deepEqual(logits.shape, [3, 3]);
});
