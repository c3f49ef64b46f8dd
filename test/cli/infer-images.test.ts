/**
 * `densenet infer IMAGES...` end to end (child processes): logits of the committed photos equal model.forward on
 * loadImage's input, for a checkpoint ('cover' preprocessing, reference backend) and for plain ImageNet-shaped
 * weights with --arch flags (torchvision's short-side preset, the early full-size decode path, default backend);
 * the files in the output's metadata; a file that is not an image reported on one line, skipped, exit 1;
 * --timing; --input and images together, or neither, refused. Also: the CLI's static --pretrained names agree
 * with hub/pretrained.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { getBackend } from '../../src/backend/select.js';
import { referenceBackend } from '../../src/backend/reference/index.js';
import { PRETRAINED_NAMES } from '../../src/cli/pretrained-names.js';
import { pretrainedNames } from '../../src/hub/pretrained.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { writeSafetensorsFile } from '../../src/io/weights-file.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { writeCheckpoint } from '../../src/train/checkpoint.js';
import { loadImage } from '../../src/vision/preprocess.js';
import { IMAGENET_PRESET, specFromCheckpoint, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { assertClose } from '../helpers/check.js';
import { densenet } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const PHOTOS = join(FIXTURES, 'photos');
const photos = readdirSync(PHOTOS).sort().map((f) => join(PHOTOS, f));
const dir = mkdtempSync(join(tmpdir(), 'dn-infer-images-'));
const bad = join(dir, 'broken.jpg');
writeFileSync(bad, 'not an image\n');

/** Logits the CLI wrote, with the files it names; checked against forward(loadImage(file)) one image at a time. */
async function checkLogits(out: string, files: string[], model: DenseNet, spec: PreprocessSpec, backend: Parameters<DenseNet['forward']>[1], tol: number): Promise<void> {
  const { tensors, metadata } = readSafetensors(readFileSync(out));
  const logits = tensors.get('logits')!;
  const k = model.numClasses;
  assert.deepEqual(logits.shape, [files.length, k]);
  assert.deepEqual(JSON.parse(metadata.files), files);
  const [C, H, W] = spec.inputSize;
  for (let i = 0; i < files.length; i++) {
    const { input } = await loadImage(files[i], spec);
    const want = model.forward(new Tensor(input, [1, C, H, W]), backend).data;
    assertClose(logits.data.subarray(i * k, (i + 1) * k), want, `logits of ${files[i]}`, tol);
  }
}

test('infer IMAGES with a checkpoint (cover resize): logits = forward(loadImage), files in metadata, bad file skipped, exit 1', async () => {
  const preprocessing = { mean: [0.5, 0.4, 0.3], std: [0.25, 0.25, 0.25], inputSize: [3, 32, 32] as [number, number, number] };
  const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 }, 7).eval();
  const ckpt = join(dir, 'tiny.safetensors');
  await writeCheckpoint(ckpt, { family: 'densenet', arch: null, config: { ...model.config }, classNames: ['a', 'b', 'c'], preprocessing, training: null }, model.stateDict(), null);
  const out = join(dir, 'ckpt-logits.safetensors');
  const r = densenet(['infer', PHOTOS, bad, '--weights', ckpt, '--output', out, '--batch-size', '2', '--backend', 'reference', '--timing']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith(`infer: ${bad}: not a readable image`)).length, 1, r.stderr);
  assert.match(r.stderr, /infer: 1 of 6 inputs could not be read/);
  assert.match(r.stderr, /infer: timing, wall ms \(process cpu ms\): start\+imports \d+ \(cpu \d+\), weights/);
  await checkLogits(out, photos, model, specFromCheckpoint(preprocessing), referenceBackend, 1e-6);
});

test('infer IMAGES with plain ImageNet-shaped weights and --arch flags: torchvision preset, logits = forward(loadImage)', async () => {
  const flags = ['--block-config', '2,2', '--growth-rate', '4', '--init-features', '8', '--num-classes', '1000'];
  const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, numClasses: 1000 }, 3).eval();
  const weights = join(dir, 'imagenet-shaped.safetensors');
  await writeSafetensorsFile(weights, model.stateDict());
  const out = join(dir, 'plain-logits.safetensors');
  const files = [photos[0], photos[3], photos[1]];
  const r = densenet(['infer', ...files, ...flags, '--weights', weights, '--output', out, '--batch-size', '1']); // decodes run 2 batches ahead
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /infer: wrote logits \[3, 1000\] of 3 images to /);
  await checkLogits(out, files, model, IMAGENET_PRESET, await getBackend(undefined, () => undefined), 1e-4);
});

test('infer: --input together with images, or neither, is one line and exit 1', () => {
  for (const args of [['infer', photos[0], '--input', join(dir, 'x.safetensors')], ['infer']]) {
    const r = densenet([...args, '--arch', 'densenet-bc-100', '--output', join(dir, 'never.safetensors')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr.trim(), /^densenet: infer: give either --input FILE \(a tensor\) or image files\/folders$/);
  }
});

test('the CLI help names the same --pretrained weights as hub/pretrained.ts', () => {
  assert.deepEqual([...PRETRAINED_NAMES], pretrainedNames());
});
