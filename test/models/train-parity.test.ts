/**
 * Training parity with PyTorch: one train-mode step of a tiny CIFAR DenseNet-BC and a tiny torchvision
 * (ImageNet-stem) DenseNet: loss, logits, every parameter gradient, the input gradient and the running
 * statistics after the step, on every backend with backward ops; memory-efficient and naive modes agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { assertClose } from '../helpers/check.js';
import { get, loadModelFixture, type ModelFixture } from '../helpers/fixtures.js';

const backends = (await availableBackends()).filter((b) => b.backward !== undefined);
const FILES = ['tiny-cifar-bc-train.safetensors', 'tiny-imagenet-train.safetensors'];

function model(fx: ModelFixture): DenseNet {
  const m = new DenseNet(fx.config, 0, { init: false });
  m.loadStateDict(fx.state);
  return m.train();
}

const labelsOf = (fx: ModelFixture): Int32Array => Int32Array.from(get(fx, 'labels').data);

for (const file of FILES) {
  const fx = loadModelFixture(file);
  for (const backend of backends) {
    test(`${backend.name} ${file}: loss, gradients and running stats match PyTorch within 1e-4`, () => {
      const m = model(fx);
      const r = m.lossAndGrad(get(fx, 'input'), labelsOf(fx), backend, { inputGrad: true });
      assert.ok(Math.abs(r.loss - get(fx, 'loss').data[0]) <= 1e-5, `loss ${r.loss} vs ${get(fx, 'loss').data[0]}`);
      assertClose(r.logits.data, get(fx, 'logits').data, 'train-mode logits', 1e-4);
      for (const [name, p] of m.namedParameters()) assertClose(p.grad, get(fx, `grad.${name}`).data, `grad ${name}`, 1e-4);
      assertClose(r.inputGrad!.data, get(fx, 'grad.input').data, 'grad input', 1e-4);
      for (const [name, t] of m.namedState()) {
        if (fx.tensors.has(`after.${name}`)) assertClose(t.data, get(fx, `after.${name}`).data, `after step: ${name}`, 1e-5);
      }
    });

    test(`${backend.name} ${file}: memory-efficient and naive modes give the same loss and gradients (<= 1e-6)`, () => {
      const a = model(fx);
      const b = model(fx);
      const ra = a.lossAndGrad(get(fx, 'input'), labelsOf(fx), backend, { memoryEfficient: true });
      const rb = b.lossAndGrad(get(fx, 'input'), labelsOf(fx), backend, { memoryEfficient: false });
      assert.ok(Math.abs(ra.loss - rb.loss) <= 1e-6);
      const pb = new Map(b.namedParameters());
      for (const [name, p] of a.namedParameters()) assertClose(p.grad, pb.get(name)!.grad, `grad ${name}`, 1e-6);
      // running statistics are updated exactly once per step, recomputation or not (Pleiss et al. had them twice)
      const sb = b.stateDict();
      const before = fx.state;
      for (const [name, t] of a.namedState()) {
        if (!name.includes('running_') && !name.endsWith('num_batches_tracked')) continue;
        assertClose(t.data, sb.get(name)!.data, `efficient vs naive ${name}`, 1e-7);
        if (name.endsWith('num_batches_tracked')) assert.equal(t.data[0], before.get(name)!.data[0] + 1, `${name} counts one step`);
      }
      assert.ok(a.workspaceBytes() < b.workspaceBytes(), `efficient ${a.workspaceBytes()} B < naive ${b.workspaceBytes()} B`);
    });
  }
}
