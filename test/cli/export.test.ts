/**
 * `densenet export` end to end: a checkpoint becomes an ONNX file that onnxruntime-node runs to our logits, with
 * the checkpoint's class names and preprocessing in its metadata and no temp file left behind; bad input (an
 * opset out of range, weights that do not fit --arch, plain weights with no --arch, a bad --input-size, both or
 * neither of --weights/--pretrained) is one line on stderr and exit code 1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { getBackend } from '../../src/backend/select.js';
import { decodeModel } from '../../src/io/onnx/schema.js';
import { writeSafetensorsFile } from '../../src/io/weights-file.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { writeCheckpoint } from '../../src/train/checkpoint.js';
import { assertClose } from '../helpers/check.js';
import { densenet } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dn-export-'));
const model = new DenseNet({ blockConfig: [2, 3], growthRate: 8, initFeatures: 16, numClasses: 4, stem: 'cifar', inChannels: 1 }, 11);
const rng = new Rng(12);
for (const [name, t] of model.namedState()) {
  if (name.endsWith('running_mean')) t.data.forEach((_, i) => (t.data[i] = 0.2 * rng.normal()));
  if (name.endsWith('running_var')) t.data.forEach((_, i) => (t.data[i] = 0.5 + rng.uniform()));
}
model.eval();
const classNames = ['tshirt', 'trouser', 'pullover', 'dress'];
const preprocessing = { mean: [0.29], std: [0.35], inputSize: [1, 28, 28] as [number, number, number] };
const checkpoint = join(dir, 'ck.safetensors');
await writeCheckpoint(checkpoint, { family: 'densenet', arch: null, config: { ...model.modelConfig }, classNames, preprocessing, training: null }, model.stateDict(), null);
const plain = join(dir, 'plain.safetensors');
await writeSafetensorsFile(plain, model.stateDict());

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line expected: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

test('export a checkpoint --dynamic-batch --opset 13: one line, atomic write, onnxruntime gives our logits at batch 2', async () => {
  const out = join(dir, 'model.onnx');
  const r = densenet(['export', '--weights', checkpoint, '--out', out, '--dynamic-batch', '--opset', '13']);
  assert.equal(r.code, 0, r.stderr);
  const size = statSync(out).size;
  assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
  assert.match(r.stdout, new RegExp(`^export: wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+, opset 13, \\d+ nodes, input \\[batch, 1, 28, 28\\]\\)`));
  assert.ok(size > 10_000);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temp file left');

  const bytes = readFileSync(out);
  const meta = Object.fromEntries(decodeModel(bytes).metadataProps.map((p) => [p.key, p.value]));
  assert.deepEqual(JSON.parse(meta.classNames), classNames);
  assert.deepEqual(JSON.parse(meta.preprocessing), { resize: { mode: 'cover' }, ...preprocessing });

  const x = new Tensor(Float32Array.from({ length: 2 * 28 * 28 }, () => rng.normal()), [2, 1, 28, 28]);
  const session = await ort.InferenceSession.create(bytes);
  const got = (await session.run({ input: new ort.Tensor('float32', x.data, [2, 1, 28, 28]) })).logits.data as Float32Array;
  await session.release();
  assertClose(got, model.forward(x, await getBackend(undefined, () => {})).data, 'CLI export vs forward', 1e-4);
});

test('export plain weights with --config-like flags and --input-size 32x24: static batch 1', () => {
  const out = join(dir, 'plain.onnx');
  const r = densenet(['export', '--weights', plain, '--block-config', '2,3', '--growth-rate', '8', '--init-features', '16', '--num-classes', '4',
    '--stem', 'cifar', '--in-channels', '1', '--input-size', '32x24', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /opset 17, \d+ nodes, input \[1, 1, 32, 24\]/);
  assert.ok(existsSync(out));
});

test('export bad input: opset 12, weights that do not fit --arch, plain weights without --arch, bad --input-size, no weights, both sources', () => {
  const out = join(dir, 'bad.onnx');
  assertOneLineError(densenet(['export', '--weights', checkpoint, '--out', out, '--opset', '12']), /opset 12 is not supported \(use 13\.\.21/);
  assertOneLineError(densenet(['export', '--weights', plain, '--arch', 'densenet121', '--out', out]), /plain\.safetensors does not fit densenet121: load_state_dict: /);
  assertOneLineError(densenet(['export', '--weights', plain, '--out', out]), /no model config or preprocessing metadata in the file \(plain weights\); give --arch/);
  assertOneLineError(densenet(['export', '--weights', checkpoint, '--out', out, '--input-size', '0x5']), /--input-size expects H or HxW/);
  assertOneLineError(densenet(['export', '--out', out]), /export: give either --weights FILE or --pretrained NAME/);
  assertOneLineError(densenet(['export', '--weights', checkpoint, '--pretrained', 'densenet121', '--out', out]), /export: give either --weights FILE or --pretrained NAME/);
  assert.ok(!existsSync(out), 'nothing written on error');
});
