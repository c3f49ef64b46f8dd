/**
 * `densenet predict` and `densenet embed` end to end (child processes) on a tiny checkpoint the test writes
 * (DenseNet blockConfig [2,2], k=4, CIFAR stem, 3 named classes, preprocessing 3x32x32 'cover'), on the committed
 * photos plus a file that is not an image: JSON shape, sorted probabilities equal to the softmax of
 * model.forward on loadImage's input, the bad file's stderr line and exit code 1, the text table, --topk
 * clamping and errors; embed's file and its rows. And the one-line errors of loading: plain weights without
 * --arch, weights that do not fit --arch, an unknown --pretrained name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { referenceBackend } from '../../src/backend/reference/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { writeSafetensorsFile } from '../../src/io/weights-file.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { writeCheckpoint } from '../../src/train/checkpoint.js';
import { extractEmbedding } from '../../src/vision/features.js';
import { loadImage } from '../../src/vision/preprocess.js';
import { specFromCheckpoint } from '../../src/vision/preprocess-spec.js';
import { softmaxRows } from '../../src/vision/predict.js';
import { assertClose } from '../helpers/check.js';
import { densenet } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const PHOTOS = join(FIXTURES, 'photos');
const photos = readdirSync(PHOTOS).sort().map((f) => join(PHOTOS, f));
const dir = mkdtempSync(join(tmpdir(), 'dn-predict-'));
const CLASSES = ['cat', 'coffee', 'rocket'];
const preprocessing = { mean: [0.5, 0.4, 0.3], std: [0.25, 0.25, 0.25], inputSize: [3, 32, 32] as [number, number, number] };
const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 }, 7).eval();
const ckpt = join(dir, 'tiny.safetensors');
await writeCheckpoint(ckpt, { family: 'densenet', arch: null, config: { ...model.config }, classNames: CLASSES, preprocessing, training: null }, model.stateDict(), null);
const plain = join(dir, 'plain.safetensors');
await writeSafetensorsFile(plain, model.stateDict());
const bad = join(dir, 'broken.jpg');
writeFileSync(bad, 'not an image\n');
const spec = specFromCheckpoint(preprocessing);

/** A user-facing failure: exit 1, one line on stderr matching `pattern`, no stack trace. */
function assertFails(args: string[], pattern: RegExp): void {
  const r = densenet(args);
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${r.stderr}`);
  assert.match(lines[0], pattern);
}

interface Line { file: string; top: { index: number; label: string; prob: number }[] }

test('predict --json: one object per image, probs sorted and equal to softmax(forward(loadImage)), bad file reported, exit 1', async () => {
  const r = densenet(['predict', PHOTOS, bad, '--weights', ckpt, '--topk', '3', '--json', '--backend', 'reference']);
  assert.equal(r.code, 1, r.stderr);
  const err = r.stderr.trim().split('\n');
  assert.match(err[0], /^predict: densenet .*input 3x32x32, resize to cover 32x32 \+ center crop, 6 images, reference backend$/);
  assert.equal(err.filter((l) => l.startsWith(`predict: ${bad}: not a readable image`)).length, 1, r.stderr);
  assert.match(err[err.length - 1], /1 of 6 inputs could not be read/);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.map((l) => l.file), photos);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), ['file', 'top']);
    assert.equal(line.top.length, 3);
    for (const t of line.top) assert.deepEqual(Object.keys(t), ['index', 'label', 'prob']);
    for (let i = 1; i < 3; i++) assert.ok(line.top[i - 1].prob >= line.top[i].prob, 'sorted by probability');
    const { input } = await loadImage(line.file, spec);
    const p = softmaxRows(model.forward(new Tensor(input, [1, 3, 32, 32]), referenceBackend))[0];
    for (const t of line.top) {
      assert.equal(t.label, CLASSES[t.index]);
      assert.ok(Math.abs(t.prob - p[t.index]) <= 1e-12, `${line.file} class ${t.index}: ${t.prob} vs ${p[t.index]}`);
    }
  }
});

test('predict text: a table per image; --topk above the classes is clamped with a note; exit 0', () => {
  const r = densenet(['predict', photos[1], '--weights', ckpt, '--topk', '10', '--batch-size', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /--topk 10 is more than the model's 3 classes; showing 3/);
  assert.match(r.stdout, new RegExp(`^${photos[1]}\\nrank\\s+prob\\s+index\\s+label\\n[- ]+\\n\\s*1\\s+\\d+\\.\\d\\d%\\s+\\d\\s+(cat|coffee|rocket)\\n`));
  assert.equal(r.stdout.trim().split('\n').length, 6);
});

test('predict: --topk 0 or not a number is an error', () => {
  assertFails(['predict', photos[0], '--weights', ckpt, '--topk', '0'], /--topk expects a positive integer, got '0'/);
  assertFails(['predict', photos[0], '--weights', ckpt, '--topk', 'many'], /--topk expects a positive integer, got 'many'/);
});

test('predict: plain weights without --arch, weights that do not fit --arch, unknown --pretrained: one line, exit 1', () => {
  assertFails(['predict', photos[0], '--weights', plain], /plain weights.*give --arch/);
  assertFails(['predict', photos[0], '--weights', plain, '--arch', 'densenet121'], /does not fit densenet121/);
  assertFails(['predict', photos[0], '--pretrained', 'densenet999'], /unknown name 'densenet999'/);
});

test('embed: embeddings [N, C] with the file names, rows equal extractEmbedding(loadImage), bad file skipped, exit 1', async () => {
  const out = join(dir, 'emb.safetensors');
  const r = densenet(['embed', ...photos, bad, '--weights', ckpt, '--out', out, '--batch-size', '4', '--backend', 'reference']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`embed: ${bad}: not a readable image`));
  const { tensors, metadata } = readSafetensors(readFileSync(out));
  const emb = tensors.get('embeddings')!;
  const C = model.features.outChannels;
  assert.deepEqual(emb.shape, [photos.length, C]);
  assert.deepEqual(JSON.parse(metadata.files), photos);
  for (let i = 0; i < photos.length; i++) {
    const { input } = await loadImage(photos[i], spec);
    const { embedding } = extractEmbedding(model, new Tensor(input, [1, 3, 32, 32]), referenceBackend);
    assertClose(emb.data.subarray(i * C, (i + 1) * C), embedding.data, `embedding of ${photos[i]}`, 1e-6);
  }
});
