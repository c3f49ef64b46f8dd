/**
 * Fine-tuning at the library level: timm's adapt_input_conv (1 channel sums, C channels repeat and scale by 3/C),
 * the head replaced when the class count differs, and a training step with a frozen body (lossAndGrad
 * frozenBody): the body's running statistics and parameters untouched, its gradients not computed, the head's
 * gradients those of the eval-mode features.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import { adaptInputConv, adaptStateDict, headParameterNames, inputConvName } from '../../src/models/adapt.js';
import { DenseNet } from '../../src/models/densenet.js';
import { ResNet } from '../../src/models/resnet.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

const backends = (await availableBackends()).filter((b) => b.backward !== undefined);
const tiny = { growthRate: 4, blockConfig: [2, 2], initFeatures: 8, stem: 'cifar' as const, numClasses: 3, inChannels: 3 };

function randomTensor(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

test('adaptInputConv [4,3,3,3] -> 1 channel: the sum of the RGB filters', () => {
  const w = randomTensor([4, 3, 3, 3], 1);
  const a = adaptInputConv(w, 1);
  assert.deepEqual(a.shape, [4, 1, 3, 3]);
  for (let o = 0; o < 4; o++) {
    for (let p = 0; p < 9; p++) {
      const sum = Math.fround(Math.fround(w.data[(o * 3) * 9 + p] + w.data[(o * 3 + 1) * 9 + p]) + w.data[(o * 3 + 2) * 9 + p]);
      assert.equal(a.data[o * 9 + p], sum);
    }
  }
});

test('adaptInputConv [4,3,3,3] -> 5 channels: R,G,B,R,G repeated and scaled by 3/5; -> 3 unchanged', () => {
  const w = randomTensor([4, 3, 3, 3], 2);
  const a = adaptInputConv(w, 5);
  assert.deepEqual(a.shape, [4, 5, 3, 3]);
  for (let o = 0; o < 4; o++) {
    for (let c = 0; c < 5; c++) {
      for (let p = 0; p < 9; p++) assert.equal(a.data[(o * 5 + c) * 9 + p], Math.fround(w.data[(o * 3 + (c % 3)) * 9 + p] * (3 / 5)));
    }
  }
  assert.deepEqual(adaptInputConv(w, 3).data, w.data);
  // 6 channels (a multiple of 3): a grey image (one value in every channel) gets the RGB filters' response
  const a6 = adaptInputConv(w, 6);
  let before = 0;
  let after = 0;
  for (let i = 0; i < 27; i++) before += w.data[i];
  for (let i = 0; i < 54; i++) after += a6.data[i];
  assert.ok(Math.abs(before - after) < 1e-5, `${before} vs ${after}`);
});

test('adaptStateDict: DenseNet 3 classes, 3 channels -> 2 classes, 1 channel; everything else passed through', () => {
  const src = new DenseNet(tiny, 1);
  const dst = new DenseNet({ ...tiny, numClasses: 2, inChannels: 1 }, 7);
  const { state, report } = adaptStateDict(src.stateDict(), dst);
  assert.deepEqual(report.classifier, { name: 'classifier', from: 3, to: 2 });
  assert.deepEqual(report.inputConv, { name: 'features.conv0', from: 3, to: 1 });
  assert.equal(state.get('classifier.weight'), dst.stateDict().get('classifier.weight'));
  assert.deepEqual(state.get('features.conv0.weight')!.shape, [8, 1, 3, 3]);
  dst.loadStateDict(state);
  assert.deepEqual(dst.stateDict().get('features.norm5.running_var')!.data, src.stateDict().get('features.norm5.running_var')!.data);
  // the same classes and channels: nothing adapted
  const same = adaptStateDict(src.stateDict(), new DenseNet(tiny, 3));
  assert.deepEqual(same.report, { classifier: null, inputConv: null });
});

test('head and first convolution by name: DenseNet classifier / features.conv0, ResNet fc / conv1', () => {
  const d = new DenseNet(tiny, 0);
  assert.deepEqual(headParameterNames(d), ['classifier.weight', 'classifier.bias']);
  assert.equal(inputConvName(d), 'features.conv0.weight');
  const r = new ResNet({ kind: 'cifar-preact', depth: 20, numClasses: 4 }, 0);
  assert.deepEqual(headParameterNames(r), ['fc.weight', 'fc.bias']);
  assert.equal(inputConvName(r), 'conv1.weight');
});

for (const backend of backends) {
  test(`${backend.name} lossAndGrad frozenBody: body state bit-identical, no body gradients, head gradients of the eval-mode features`, () => {
    const m = new DenseNet({ ...tiny, dropRate: 0.2 }, 5);
    // non-trivial running statistics first (a normal training step)
    const x = randomTensor([4, 3, 8, 8], 9);
    const labels = Int32Array.from([0, 1, 2, 1]);
    m.train();
    m.lossAndGrad(x, labels, backend);
    const body = m.namedState().filter(([n]) => !n.startsWith('classifier.'));
    const before = new Map(body.map(([n, t]) => [n, Float32Array.from(t.data)]));
    const bodyParams = m.namedParameters().filter(([n]) => !n.startsWith('classifier.'));
    for (const [, p] of bodyParams) p.grad.fill(12345);

    const r = m.lossAndGrad(x, labels, backend, { frozenBody: true });
    for (const [n, t] of body) assert.deepEqual(t.data, before.get(n), `${n} changed`);
    for (const [n, p] of bodyParams) assert.ok(p.grad.every((v) => v === 12345), `${n}.grad was written`);

    // the logits are the eval-mode logits (running statistics, no dropout) and the head's gradient matches them
    m.eval();
    const evalLogits = m.forward(x, backend);
    assert.deepEqual(Array.from(r.logits.data).map((v) => v.toFixed(5)), Array.from(evalLogits.data).map((v) => v.toFixed(5)));
    const head = m.namedParameters().find(([n]) => n === 'classifier.bias')![1];
    // d loss / d bias_j = mean over the batch of softmax_j - onehot_j
    const k = 3;
    const expect = new Float64Array(k);
    for (let i = 0; i < 4; i++) {
      const row = Array.from(evalLogits.data.subarray(i * k, (i + 1) * k));
      const mx = Math.max(...row);
      const e = row.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) expect[j] += (e[j] / s - (labels[i] === j ? 1 : 0)) / 4;
    }
    for (let j = 0; j < k; j++) assert.ok(Math.abs(head.grad[j] - expect[j]) < 1e-5, `bias grad ${j}: ${head.grad[j]} vs ${expect[j]}`);
    m.train();
    assert.throws(() => m.lossAndGrad(x, labels, backend, { frozenBody: true, inputGrad: true }), /no input gradient with a frozen body/);
  });
}
