/**
 * Determinism of training: the same seed, backend and thread count give bit-identical weights (and running
 * statistics) after a few SGD steps (native at 1 and at 2 threads, wasm, reference); across native thread counts
 * (1 vs 2) the weights differ by at most 1e-5 (measured: 0, bit-identical, since every kernel splits its output,
 * never a reduction, over threads). The model is big enough that the native engine splits its 3x3 convolutions
 * (9.4 MFLOP) and batch-norm backward (>= 256 Ki elements) over threads (dispatch.c thresholds).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { loadNative, type NativeBackend } from '../../src/backend/native/index.js';
import { loadBackend } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

const STEPS = 3;
const N = 8;
const SHAPE: [number, number, number, number] = [N, 3, 16, 16];

/** The weights and buffers after STEPS steps of Nesterov SGD with weight decay and dropout, from seed 5. */
function trainSteps(backend: Backend): Map<string, Float32Array> {
  const m = new DenseNet({ growthRate: 8, blockConfig: [2, 2], initFeatures: 16, stem: 'cifar', numClasses: 10, dropRate: 0.1 }, 5);
  m.train();
  const sgd = new SGD(m.namedParameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, noDecayOnBnAndBias: true });
  const rng = new Rng(9);
  for (let s = 0; s < STEPS; s++) {
    const x = new Float32Array(SHAPE.reduce((a, b) => a * b));
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform() * 2 - 1;
    const labels = Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * 10));
    m.lossAndGrad(new Tensor(x, SHAPE), labels, backend);
    sgd.step();
  }
  return new Map([...m.stateDict()].map(([k, t]) => [k, Float32Array.from(t.data)]));
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { diff: number; name: string; identical: boolean } {
  let diff = 0;
  let name = '';
  let identical = true;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) identical = false;
      const d = Math.abs(x[i] - y[i]);
      if (d > diff || Number.isNaN(d)) [diff, name] = [d, k];
    }
  }
  return { diff, name, identical };
}

let native: NativeBackend | null = null;
try {
  native = loadNative();
} catch {
  // not built here
}
const skipNative = native === null ? 'the native addon is not built' : false;

async function withThreads<T>(n: number, f: () => T): Promise<T> {
  const before = native!.threads;
  native!.setThreads(n);
  assert.equal(native!.threads, n);
  try {
    return f();
  } finally {
    native!.setThreads(before);
  }
}

for (const threads of [1, 2]) {
  test(`native, ${threads} thread(s): two runs give bit-identical weights after ${STEPS} steps`, { skip: skipNative }, async () => {
    const a = await withThreads(threads, () => trainSteps(native!));
    const b = await withThreads(threads, () => trainSteps(native!));
    const d = maxDiff(a, b);
    assert.ok(d.identical, `runs differ by up to ${d.diff} in ${d.name}`);
  });
}

for (const name of ['wasm', 'reference'] as const) {
  test(`${name}: two runs give bit-identical weights after ${STEPS} steps`, async (t) => {
    let backend: Backend;
    try {
      backend = await loadBackend(name);
    } catch (e) {
      t.skip(`${name} unavailable: ${(e as Error).message}`);
      return;
    }
    const d = maxDiff(trainSteps(backend), trainSteps(backend));
    assert.ok(d.identical, `runs differ by up to ${d.diff} in ${d.name}`);
  });
}

test('native: 1 vs 2 threads differ by at most 1e-5 after the same steps', { skip: skipNative }, async (t) => {
  const one = await withThreads(1, () => trainSteps(native!));
  const two = await withThreads(2, () => trainSteps(native!));
  const d = maxDiff(one, two);
  t.diagnostic(`1 vs 2 threads: max |diff| ${d.diff}${d.name ? ` (${d.name})` : ''}, bit-identical: ${d.identical}`);
  assert.ok(d.diff <= 1e-5, `1 vs 2 threads differ by ${d.diff} in ${d.name}`);
});
