/**
 * Winograd per call (ConvGeometry.winograd): the model asks for it in eval mode only, and the native and wasm
 * (single-threaded and threaded) backends then take csrc/conv_wino.c for a 3x3 stride-1 conv, within the conv
 * tolerance of the reference but not bit-identical to the direct path (so it ran), and only for that call.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { convGeometry, type Backend, type ConvGeometry, type ConvPre } from '../../src/backend/backend.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { availableBackends } from '../../src/backend/select.js';
import { createWasmBackend, nodeOptions, preferRelaxed } from '../../src/backend/wasm/index.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/check.js';
import { randArray } from './fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmFile = preferRelaxed(path.resolve(here, '../../build/densenet.wasm'));
const mtFile = wasmFile.replace(/(-relaxed)?\.wasm$/, '-mt$1.wasm');
const fast: Backend[] = (await availableBackends()).filter((b) => b.name !== 'reference');
const threaded = existsSync(wasmFile) && existsSync(mtFile)
  ? await createWasmBackend(readFileSync(wasmFile), await nodeOptions(wasmFile, 2))
  : null;
if (threaded) fast.push(threaded);
test.after(() => threaded?.terminate());

const g: ConvGeometry = convGeometry(1, 128, 28, 28, 32, 3, 1, 1); // DenseNet-121 block 2's 3x3
const rng = new Rng(5);
const x = randArray(rng, 128 * 28 * 28, 2);
const w = randArray(rng, 32 * 128 * 9, Math.sqrt(3 / (128 * 9)));
const pre: ConvPre = { scale: randArray(rng, 128, 1.5), shift: randArray(rng, 128, 1.5), relu: true };
const want = new Float32Array(32 * 28 * 28);
ref.conv2d(g, x, w, null, want, pre);

for (const b of fast) {
  const label = `${b.name}${b === threaded ? ' (threaded module, 2 threads)' : ''}`;
  test(`${label}: conv2d with winograd asked is Winograd (close to the reference, not the direct path's bits), for that call only`, () => {
    const direct = new Float32Array(want.length);
    b.conv2d(g, x, w, null, direct, pre);
    const wino = new Float32Array(want.length);
    b.conv2d({ ...g, winograd: true }, x, w, null, wino, pre);
    const again = new Float32Array(want.length);
    b.conv2d(g, x, w, null, again, pre);
    assertClose(wino, want, 'winograd y', 1e-4, 1e-4);
    assert.ok(wino.some((v, i) => v !== direct[i]), 'the Winograd call gave the direct path\'s bits: it did not run');
    assert.deepEqual(again, direct, 'the call after it went back to the direct path');
  });
}

test('the model asks for Winograd in eval mode and never in training', () => {
  const asked: boolean[] = [];
  const spy: Backend = { ...ref, conv2d: (geo, ...rest) => (asked.push(geo.winograd === true), ref.conv2d(geo, ...rest)) };
  const model = new DenseNet({ growthRate: 4, blockConfig: [2], initFeatures: 8, stem: 'cifar', numClasses: 3 }, 1);
  const input = new Tensor(randArray(new Rng(2), 2 * 3 * 8 * 8), [2, 3, 8, 8]);
  model.eval();
  model.forward(input, spy);
  assert.ok(asked.length > 0 && asked.every((a) => a), `eval: ${asked.join(',')}`);
  asked.length = 0;
  model.train();
  model.forward(input, spy);
  assert.ok(asked.length > 0 && asked.every((a) => !a), `training: ${asked.join(',')}`);
});
