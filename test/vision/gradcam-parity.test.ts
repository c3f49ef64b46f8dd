/**
 * Grad-CAM against PyTorch: torchvision's DenseNet with the weights of tiny-imagenet.pth (random, non-trivial
 * batch-norm statistics) on a formula input [1,3,128,160]; for three classes, the logits, the last dense block's
 * output A ([34,4,5], a forward hook on features.denseblock4), d logit / d A (A.register_hook) and the
 * normalised map. Fixture: /usr/bin/python3 reference/make_gradcam_fixture.py (its header has the formulas).
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { availableBackends } from '../../src/backend/select.js';
import { readWeightsFile } from '../../src/io/weights-file.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { gradCam } from '../../src/vision/gradcam.js';
import { assertClose } from '../helpers/check.js';

const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));

interface Fixture {
  input: [number, number, number, number];
  map: [number, number, number];
  activation: number[];
  cases: { class: number; logits: number[]; grad: number[]; heat: number[] }[];
}

const fx = JSON.parse(readFileSync(MODELS + 'gradcam-tiny-imagenet.json', 'utf8')) as Fixture;
const [, C, H, W] = fx.input;
const x = Tensor.zeros(fx.input);
for (let c = 0; c < C; c++) {
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) x.data[(c * H + i) * W + j] = Math.sin(0.05 * (i + 1) * (c + 1) + 0.03 * j) + 0.5 * Math.cos(0.11 * j - 0.07 * i * c);
  }
}
const model = new DenseNet({ blockConfig: [2, 3, 2, 2], growthRate: 8, initFeatures: 16, bnSize: 4, numClasses: 10, stem: 'imagenet' }, 0, { init: false });
model.loadStateDict((await readWeightsFile(MODELS + 'tiny-imagenet.pth')).tensors);
model.eval();

for (const be of (await availableBackends()).filter((b) => b.backward !== undefined)) {
  test(`gradCam matches PyTorch (torchvision DenseNet, hook on features.denseblock4), ${be.name}`, () => {
    for (const k of fx.cases) {
      const r = model.scoreGrad(x, Int32Array.of(k.class), be);
      assert.deepEqual(r.grad.shape, [1, ...fx.map]);
      assertClose(r.logits.data, k.logits, `class ${k.class} logits`, 1e-4);
      assertClose(r.activation.data, fx.activation, 'denseblock4 output', 1e-4, 1e-4);
      assertClose(r.grad.data, k.grad, `class ${k.class} d logit / d denseblock4`, 1e-7, 1e-4);
      const cam = gradCam(model, x, be, { classIndex: k.class });
      assertClose(cam.heat, k.heat, `class ${k.class} heat`, 1e-5);
    }
    const arg = gradCam(model, x, be);
    assert.equal(arg.classIndex, fx.cases[0].class, 'the default is the arg-max class');
  });
}
