/**
 * ResNet parity with PyTorch (fixtures from reference/make_resnet_fixtures.py): eval logits, and one train-mode
 * step (loss, logits, every parameter gradient, the input gradient, running statistics after it) on every backend;
 * memory-efficient and naive modes agree. Pre-act CIFAR twins (basic, bottleneck) and torchvision's own
 * BasicBlock/Bottleneck code at narrow widths; full torchvision resnet18 logits when the --large fixture exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { ResNet, type ResNetConfigInput } from '../../src/models/resnet.js';
import type { FeatureMap } from '../../src/nn/context.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/check.js';
import { FIXTURES } from '../helpers/fixtures.js';

const backends = await availableBackends();
const trainable = backends.filter((b) => b.backward !== undefined);
const FILES = ['resnet-preact-tiny.safetensors', 'resnet-preact-bottleneck-tiny.safetensors', 'resnet18-tiny.safetensors', 'resnet50-tiny.safetensors'];

interface Fixture {
  config: ResNetConfigInput;
  state: Map<string, Tensor>;
  get(name: string): Tensor;
  has(name: string): boolean;
}

function load(path: string): Fixture {
  const { tensors, metadata } = readSafetensors(readFileSync(path));
  const state = new Map<string, Tensor>();
  for (const [k, v] of tensors) if (k.startsWith('state.')) state.set(k.slice('state.'.length), v);
  const get = (name: string): Tensor => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`fixture has no tensor '${name}'`);
    return t;
  };
  return { config: JSON.parse(metadata.config) as ResNetConfigInput, state, get, has: (n) => tensors.has(n) };
}

function model(fx: Fixture): ResNet {
  const m = new ResNet(fx.config, 0, { init: false });
  m.loadStateDict(fx.state);
  return m;
}

for (const file of FILES) {
  const fx = load(FIXTURES + 'models/' + file);
  const labels = Int32Array.from(fx.get('train.labels').data);
  for (const backend of backends) {
    test(`${backend.name} ${file}: eval logits match PyTorch within 1e-4`, () => {
      const m = model(fx).eval();
      assertClose(m.forward(fx.get('eval.input'), backend).data, fx.get('eval.logits').data, `${file} logits`, 1e-4);
      // a tapped forward gives the same logits and every stage's output
      const seen = new Map<string, FeatureMap>();
      const logits = m.forward(fx.get('eval.input'), backend, { tap: (p, x) => seen.set(p, x) });
      assertClose(logits.data, fx.get('eval.logits').data, `${file} logits (tapped)`, 1e-4);
      assert.deepEqual([...seen.keys()], [m.bn1 === null ? 'conv1' : 'maxpool', ...m.layers.map((l) => l.path), 'avgpool']);
    });
  }
  for (const backend of trainable) {
    test(`${backend.name} ${file}: train step (loss, gradients, running stats) matches PyTorch within 1e-4`, () => {
      const m = model(fx).train();
      const r = m.lossAndGrad(fx.get('train.input'), labels, backend, { inputGrad: true });
      const loss = fx.get('train.loss').data[0];
      assert.ok(Math.abs(r.loss - loss) <= 1e-5, `loss ${r.loss} vs ${loss}`);
      assertClose(r.logits.data, fx.get('train.logits').data, 'train-mode logits', 1e-4);
      for (const [name, p] of m.namedParameters()) assertClose(p.grad, fx.get(`grad.${name}`).data, `grad ${name}`, 1e-4);
      assertClose(r.inputGrad!.data, fx.get('grad.input').data, 'grad input', 1e-4);
      let buffers = 0;
      for (const [name, t] of m.namedState()) {
        if (!fx.has(`after.${name}`)) continue;
        assertClose(t.data, fx.get(`after.${name}`).data, `after step: ${name}`, 1e-5);
        buffers++;
      }
      assert.ok(buffers > 0);
    });

    test(`${backend.name} ${file}: memory-efficient and naive training agree (<= 1e-6), efficient holds less`, () => {
      const a = model(fx).train();
      const b = model(fx).train();
      const ra = a.lossAndGrad(fx.get('train.input'), labels, backend, { memoryEfficient: true });
      const rb = b.lossAndGrad(fx.get('train.input'), labels, backend, { memoryEfficient: false });
      assert.ok(Math.abs(ra.loss - rb.loss) <= 1e-6);
      const pb = new Map(b.namedParameters());
      for (const [name, p] of a.namedParameters()) assertClose(p.grad, pb.get(name)!.grad, `grad ${name}`, 1e-6);
      assert.ok(a.workspaceBytes() < b.workspaceBytes(), `efficient ${a.workspaceBytes()} B < naive ${b.workspaceBytes()} B`);
    });
  }
}

const LARGE = FIXTURES + 'large/resnet18.safetensors';
test('torchvision resnet18 at 2x3x224x224: logits match PyTorch within 1e-4 (needs make_resnet_fixtures.py --large)', { skip: !existsSync(LARGE) }, () => {
  const fx = load(LARGE);
  const m = model(fx).eval();
  assertClose(m.forward(fx.get('eval.input'), backends[0]).data, fx.get('eval.logits').data, 'resnet18 logits', 1e-4);
});
