/**
 * The gradient Grad-CAM weighs: DenseNet.scoreGrad (d logit[class] / d last dense block's output, eval mode,
 * through the classifier, pooling and norm5+ReLU backward ops) against central finite differences, on tiny
 * models with random batch-norm running statistics, on every backend with backward ops. The perturbation goes
 * through the real forward: a tap on the last block's buffer changes one entry before norm5 reads it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { DenseNet } from '../../src/models/densenet.js';
import { createResNet } from '../../src/models/variants-resnet.js';
import type { FeatureMap } from '../../src/nn/context.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { nchwToCnhw } from '../../src/tensor/layout.js';
import { gradCam } from '../../src/vision/gradcam.js';

const backends = (await availableBackends()).filter((b) => b.backward !== undefined);

/** Random running statistics and affine parameters in every batch norm, so eval mode is not the identity. */
function randomizeBatchNorms(model: DenseNet, rng: Rng): void {
  const visit = (m: { children(): readonly [string, unknown][] }): void => {
    for (const [, c] of m.children()) {
      if (c instanceof BatchNorm2d) {
        for (let i = 0; i < c.numFeatures; i++) {
          c.runningMean.data[i] = 0.3 * rng.normal();
          c.runningVar.data[i] = 0.5 + rng.uniform();
          c.weight.data[i] = 1 + 0.5 * rng.normal();
          c.bias.data[i] = 0.2 * rng.normal();
        }
      }
      visit(c as { children(): readonly [string, unknown][] });
    }
  };
  visit(model);
}

function randomInput(shape: [number, number, number, number], rng: Rng): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

/** Logit `cls` of sample `n` with entry (c, n, y, x) of the last block's output moved by `delta`. */
function perturbedScore(model: DenseNet, x: Tensor, backend: Backend, at: [number, number, number, number], delta: number, cls: number): number {
  const last = model.features.blocks[model.features.blocks.length - 1].path;
  const [c, n, y, xx] = at;
  const logits = model.forward(x, backend, {
    tap: (path: string, f: FeatureMap) => {
      if (path === last) f.data[((c * f.n + n) * f.h + y) * f.w + xx] += delta;
    },
  });
  return logits.data[n * model.numClasses + cls];
}

const MODELS: { label: string; cfg: ConstructorParameters<typeof DenseNet>[0]; input: [number, number, number, number] }[] = [
  { label: 'cifar stem, 3 channels, blocks [2,2], x=[2,3,12,12]', cfg: { blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 5 }, input: [2, 3, 12, 12] },
  { label: 'imagenet stem, 1 channel, blocks [2,3], x=[2,1,33,29]', cfg: { blockConfig: [2, 3], growthRate: 4, initFeatures: 8, stem: 'imagenet', inChannels: 1, numClasses: 4 }, input: [2, 1, 33, 29] },
];

for (const be of backends) {
  for (const { label, cfg, input } of MODELS) {
    test(`scoreGrad matches finite differences: ${label}, ${be.name}`, () => {
      const rng = new Rng(7);
      const model = new DenseNet(cfg, 3);
      randomizeBatchNorms(model, rng);
      model.eval();
      const x = randomInput(input, rng);
      const classes = Int32Array.of(1, model.numClasses - 1);
      const sentinel = model.classifier.weight.grad.fill(0.25).slice();

      const r = model.scoreGrad(x, classes, be);
      const [n, C, h, w] = r.grad.shape;
      assert.deepEqual(r.activation.shape, [n, C, h, w]);
      assert.equal(C, model.features.norm5.numFeatures);
      assert.deepEqual(Array.from(model.classifier.weight.grad), Array.from(sentinel), 'parameter gradients untouched');
      assert.deepEqual(Array.from(r.logits.data), Array.from(model.forward(x, be).data), 'logits of the same forward');

      // The map is the last block's output, as a forward tap sees it.
      const last = model.features.blocks[model.features.blocks.length - 1].path;
      let tapped: Float32Array | null = null;
      model.forward(x, be, { tap: (p, f) => { if (p === last) tapped = f.data.slice(); } });
      assert.deepEqual(Array.from(nchwToCnhw(r.activation.data, n, C, h, w)), Array.from(tapped!));

      // norm5's pre-activation z = scale * a + shift decides the ReLU mask; finite differences step off kinks
      const bn = model.features.norm5;
      const scale = (ci: number): number => bn.weight.data[ci] / Math.sqrt(bn.runningVar.data[ci] + bn.eps);
      const z = (ci: number, ni: number, p: number): number =>
        scale(ci) * r.activation.data[(ni * C + ci) * h * w + p] + bn.bias.data[ci] - bn.runningMean.data[ci] * scale(ci);
      const eps = 1e-2;
      let active = 0;
      let inactive = 0;
      for (let trial = 0; trial < 400 && (active < 6 || inactive < 2); trial++) {
        const ci = Math.floor(rng.uniform() * C);
        const ni = Math.floor(rng.uniform() * n);
        const p = Math.floor(rng.uniform() * h * w);
        const zi = z(ci, ni, p);
        if (Math.abs(zi) < 3 * eps * Math.abs(scale(ci))) continue;
        if (zi > 0 ? active >= 6 : inactive >= 2) continue;
        const at: [number, number, number, number] = [ci, ni, Math.floor(p / w), p % w];
        const fd = (perturbedScore(model, x, be, at, eps, classes[ni]) - perturbedScore(model, x, be, at, -eps, classes[ni])) / (2 * eps);
        const g = r.grad.data[(ni * C + ci) * h * w + p];
        if (zi > 0) {
          active++;
          assert.ok(Math.abs(g - fd) <= 5e-5 + 1e-2 * Math.abs(fd), `entry c=${ci} n=${ni} p=${p}: grad ${g} vs finite difference ${fd}`);
          assert.ok(g !== 0);
        } else {
          inactive++;
          assert.equal(g, 0, `entry c=${ci} n=${ni} p=${p} is masked by the ReLU`);
          assert.ok(Math.abs(fd) <= 5e-5, `masked entry: finite difference ${fd}`);
        }
      }
      assert.ok(active >= 6 && inactive >= 2, `checked ${active} active and ${inactive} masked entries`);
      // the other sample's score does not depend on this sample's map
      const other = model.forward(x, be, { tap: (p, f) => { if (p === last) f.data[f.h * f.w] += 1; } }).data[classes[0]];
      assert.ok(Math.abs(other - r.logits.data[classes[0]]) < 1e-6);
    });
  }
}

test('scoreGrad and gradCam: class out of range, training mode, batch of two', async () => {
  const be = backends[0];
  const model = new DenseNet({ blockConfig: [2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 }, 1).eval();
  const x = randomInput([1, 3, 8, 8], new Rng(1));
  assert.throws(() => model.scoreGrad(x, Int32Array.of(3), be), /scoreGrad: class 3 is out of range \(0\.\.2\)/);
  assert.throws(() => gradCam(model, x, be, { classIndex: 3 }), /gradCam: class 3 is out of range: the model has 3 classes \(0\.\.2\)/);
  assert.throws(() => gradCam(model, x, be, { classIndex: -1 }), /out of range/);
  assert.throws(() => gradCam(model, randomInput([2, 3, 8, 8], new Rng(1)), be), /one image \[1, C, H, W\], got \[2,3,8,8\]/);
  model.train();
  assert.throws(() => gradCam(model, x, be), /training mode/);
  assert.throws(() => model.scoreGrad(x, Int32Array.of(0), be), /training mode/);
});

test('gradCam: arg-max class by default, map in [0, 1] with its maximum 1, upsampled to the input size', () => {
  const be = backends[0];
  const rng = new Rng(5);
  const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 4 }, 2);
  randomizeBatchNorms(model, rng);
  model.eval();
  const x = randomInput([1, 3, 16, 20], rng);
  const logits = model.forward(x, be).data;
  const best = logits.indexOf(Math.max(...logits));
  let any = false;
  for (let cls = 0; cls < 4; cls++) {
    const r = gradCam(model, x, be, { classIndex: cls });
    assert.equal(r.classIndex, cls);
    assert.ok(Math.abs(r.score - logits[cls]) < 1e-5);
    assert.deepEqual([r.h, r.w, r.height, r.width, r.heat.length, r.upsampled.length], [8, 10, 16, 20, 80, 320]);
    const max = Math.max(...r.heat);
    assert.ok(r.heat.every((v) => v >= 0 && v <= 1) && r.upsampled.every((v) => v >= 0 && v <= 1 + 1e-6));
    assert.ok(max === 0 || Math.abs(max - 1) < 1e-6);
    any ||= max > 0;
  }
  assert.ok(any, 'some class has a positive map');
  const d = gradCam(model, x, be);
  assert.equal(d.classIndex, best);
  const probs = logits.map((v) => Math.exp(v - logits[best]));
  assert.ok(Math.abs(d.prob - probs[best] / probs.reduce((a, b) => a + b, 0)) < 1e-5);
});

test('scoreGrad on a ResNet (the default target, the body output f): d logit[c] / d f = W[c] / (h * w) everywhere', () => {
  const be = backends[0];
  const model = createResNet('resnet20', { numClasses: 4 }, 3).eval();
  const r = model.scoreGrad(randomInput([2, 3, 16, 16], new Rng(2)), Int32Array.of(2, 0), be);
  const [n, c, h, w] = r.grad.shape;
  assert.deepEqual([n, c, h, w], [2, 64, 4, 4]);
  const weight = model.fc.weight.data;
  const want = new Float32Array(n * c * h * w);
  [2, 0].forEach((cls, i) => {
    for (let ch = 0; ch < c; ch++) want.fill(weight[cls * c + ch] / (h * w), (i * c + ch) * h * w, (i * c + ch + 1) * h * w);
  });
  assert.ok(r.grad.data.every((v, i) => Math.abs(v - want[i]) <= 1e-7));
});
