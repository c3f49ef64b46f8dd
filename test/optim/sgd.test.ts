/**
 * SGD against PyTorch: 10 steps of SGD (lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4) on a fixed batch give
 * torch's loss trajectory and final weights within 1e-4, for a CIFAR DenseNet-BC and a torchvision DenseNet.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { SGD } from '../../src/optim/sgd.js';
import { learningRate } from '../../src/optim/schedule.js';
import { assertClose } from '../helpers/check.js';
import { get, loadModelFixture } from '../helpers/fixtures.js';

const backends = (await availableBackends()).filter((b) => b.backward !== undefined);

for (const file of ['tiny-cifar-bc-train.safetensors', 'tiny-imagenet-train.safetensors']) {
  const fx = loadModelFixture(file);
  const opts = JSON.parse(fx.metadata.sgd) as { lr: number; momentum: number; weight_decay: number; nesterov: boolean; steps: number };
  for (const backend of backends) {
    test(`${backend.name} ${file}: ${opts.steps}-step SGD loss trajectory and final weights match PyTorch within 1e-4`, () => {
      const m = new DenseNet(fx.config, 0, { init: false });
      m.loadStateDict(fx.state);
      m.train();
      const sgd = new SGD(m.namedParameters(), { lr: opts.lr, momentum: opts.momentum, nesterov: opts.nesterov, weightDecay: opts.weight_decay });
      const labels = Int32Array.from(get(fx, 'labels').data);
      const losses: number[] = [];
      for (let i = 0; i < opts.steps; i++) {
        losses.push(m.lossAndGrad(get(fx, 'input'), labels, backend).loss);
        sgd.step();
      }
      assertClose(losses, get(fx, 'sgd.losses').data, 'loss trajectory', 1e-4);
      for (const [name, t] of m.namedState()) assertClose(t.data, get(fx, `sgd.final.${name}`).data, `final ${name}`, 1e-4);
      m.eval();
      assertClose(m.forward(get(fx, 'input'), backend).data, get(fx, 'sgd.logits.eval').data, 'eval logits after training', 1e-4);
    });
  }
}

test('multistep divides by 10 at 50% and 75% of the epochs; warm-up ramps linearly; cosine ends at 0', () => {
  const base = { baseLr: 0.1, epochs: 100, stepsPerEpoch: 10 };
  assert.equal(learningRate({ ...base, name: 'multistep' }, 0), 0.1);
  assert.ok(Math.abs(learningRate({ ...base, name: 'multistep' }, 500) - 0.01) < 1e-12);
  assert.ok(Math.abs(learningRate({ ...base, name: 'multistep' }, 750) - 0.001) < 1e-12);
  assert.ok(Math.abs(learningRate({ ...base, name: 'multistep' }, 749) - 0.01) < 1e-12);
  assert.ok(Math.abs(learningRate({ ...base, name: 'cosine', warmupEpochs: 1 }, 4) - 0.05) < 1e-12);
  assert.ok(learningRate({ ...base, name: 'cosine' }, 999) < 1e-5);
});

test('sgd state round-trips and rejects bad options', () => {
  const m = new DenseNet({ growthRate: 4, blockConfig: [1], initFeatures: 4, stem: 'cifar', numClasses: 3 });
  assert.throws(() => new SGD(m.namedParameters(), { lr: 0 }), /learning rate must be positive/);
  assert.throws(() => new SGD(m.namedParameters(), { lr: 0.1, nesterov: true }), /Nesterov/);
  const s = new SGD(m.namedParameters(), { lr: 0.1, momentum: 0.9 });
  s.step();
  const t = new SGD(m.namedParameters(), { lr: 0.1, momentum: 0.9 });
  t.loadState(s.state());
  assert.equal(t.state().size, m.namedParameters().length);
});
