/**
 * What a one-shot `densenet infer` leans on. loadStateDict's `adopt` (nn/module.ts): the tensors become the
 * parameters' memory, except one overlapping a tensor adopted before, which is copied. reserveWorkspace
 * (models/classifier-base.ts): after it, a forward allocates nothing more (the workspace holds the
 * same bytes before and after), its logits are bit-identical to a model that never reserved, on every backend that
 * loads (the wasm backend's slots come from its own allocator); a smaller batch afterwards reuses the slots; training
 * mode is refused (a dry training forward would move the running statistics).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

const CONFIG = { growthRate: 8, blockConfig: [2, 2], initFeatures: 16, stem: 'cifar' as const, numClasses: 10 };

function input(n: number): Tensor {
  const rng = new Rng(3);
  return new Tensor(Float32Array.from({ length: n * 3 * 16 * 16 }, () => rng.normal()), [n, 3, 16, 16]);
}

for (const backend of await availableBackends()) {
  test(`reserveWorkspace (${backend.name}): the forward then allocates nothing and gives the same logits`, () => {
    const plain = new DenseNet(CONFIG, 5).eval();
    const reserved = new DenseNet(CONFIG, 5).eval();
    reserved.reserveWorkspace([4, 3, 16, 16], backend);
    const bytes = reserved.workspaceBytes();
    assert.ok(bytes > 0);
    for (const n of [4, 2]) {
      const want = plain.forward(input(n), backend).data;
      assert.deepEqual(reserved.forward(input(n), backend).data, want, `batch ${n}`);
      assert.equal(reserved.workspaceBytes(), bytes, `batch ${n}: no new slots`);
    }
  });
}

test('reserveWorkspace refuses training mode', async () => {
  const m = new DenseNet(CONFIG, 5).train();
  const [backend] = await availableBackends();
  assert.throws(() => m.reserveWorkspace([2, 3, 16, 16], backend), /eval mode only/);
});

test('loadStateDict with adopt: the tensors become the parameters (no copy); overlapping ones are copied', () => {
  const src = new DenseNet(CONFIG, 7);
  const state = src.stateDict();
  // one buffer holding every tensor back to back, the first two keys' tensors made to overlap (tied weights)
  const entries = [...state];
  const total = entries.reduce((n, [, t]) => n + t.size, 0);
  const pool = new Float32Array(total);
  let off = 0;
  const views = new Map<string, Tensor>();
  entries.forEach(([k, t], i) => {
    const at = i === 1 ? 0 : off; // entry 1 overlaps entry 0's memory
    const v = pool.subarray(at, at + t.size);
    if (i !== 1) v.set(t.data), (off += t.size);
    views.set(k, new Tensor(v, t.shape));
  });
  const m = new DenseNet(CONFIG, 9);
  m.loadStateDict(views, true, { adopt: true });
  const own = new Map(m.namedState());
  entries.forEach(([k], i) => {
    const view = views.get(k)!.data;
    if (i === 1) assert.notEqual(own.get(k)!.data, view, `${k}: overlaps entry 0, copied`);
    else assert.equal(own.get(k)!.data, view, `${k}: adopted`);
    assert.deepEqual(own.get(k)!.data, view, k);
  });
});
